#!/usr/bin/env bash
# Programs what flanneld programs for every other node: a route to its subnet via its VTEP
# address (onlink, on the VXLAN device), a permanent neighbour entry (VTEP address -> VtepMAC) and
# an FDB entry (VtepMAC -> its underlay address). "replace" makes a second run a no-op.
# Usage: vxlan-peers.sh NS DEV [SUBNET_CIDR VTEP_IP VTEP_MAC UNDERLAY_IP]...
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "${BASH_SOURCE[0]%/*}/lib.sh"

(( $# >= 2 && ($# - 2) % 4 == 0 )) || kw_die "usage: vxlan-peers.sh NS DEV [SUBNET VTEP_IP MAC UNDERLAY_IP]..."
ns=$1 dev=$2
shift 2
kw_netns "$ns"; kw_ifname "$dev"
peers=("$@")
for (( i = 0; i < ${#peers[@]}; i += 4 )); do
  kw_cidr "${peers[i]}"; kw_ipv4 "${peers[i+1]}"; kw_mac "${peers[i+2]}"; kw_ipv4 "${peers[i+3]}"
done
kw_need_netns "$ns"
(( ${#peers[@]} > 0 )) || { printf '{"peers":0}\n'; exit 0; }

# Lines are built only from the values validated above.
for (( i = 0; i < ${#peers[@]}; i += 4 )); do
  printf 'neigh replace %s lladdr %s dev %s nud permanent\n' "${peers[i+1]}" "${peers[i+2]}" "$dev"
  printf 'route replace %s via %s dev %s onlink\n' "${peers[i]}" "${peers[i+1]}" "$dev"
done | ip -n "$ns" -batch -
for (( i = 0; i < ${#peers[@]}; i += 4 )); do
  printf 'fdb replace %s dev %s dst %s self permanent\n' "${peers[i+2]}" "$dev" "${peers[i+3]}"
done | bridge -n "$ns" -batch -
printf '{"peers":%d}\n' $(( ${#peers[@]} / 4 ))
