#!/usr/bin/env bash
# Puts addresses on an interface of a lab namespace (the emulated Internet's hosts live as /32s on
# its lo) and brings it up. "replace" makes a second run a no-op. Usage: addrs.sh NS IF CIDR...
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "${BASH_SOURCE[0]%/*}/lib.sh"

(( $# >= 3 )) || kw_die "usage: addrs.sh NS IF CIDR..."
ns=$1 if=$2
shift 2
kw_netns "$ns"; kw_ifname "$if"
for cidr in "$@"; do kw_cidr "$cidr"; done
kw_need_netns "$ns"
{
  for cidr in "$@"; do printf 'addr replace %s dev %s\n' "$cidr" "$if"; done
  printf 'link set dev %s up\n' "$if"
} | ip -n "$ns" -batch -
printf '{"addresses":%d}\n' "$#"
