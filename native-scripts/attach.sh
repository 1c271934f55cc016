#!/usr/bin/env bash
# Wires namespace NS to namespace PEER_NS with a veth pair whose ends are born in their namespaces
# (a crash can never strand one in the host's namespace), optionally as a port of a bridge in
# PEER_NS (the underlay switch, a node's docker0), with addresses and routes. Idempotent.
# Usage: attach.sh NS IF PEER_NS PEER_IF MTU [--addr CIDR] [--mac MAC] [--peer-master BR] [--peer-addr CIDR]
#                  [--route DEST VIA]...          (DEST: a CIDR or "default")
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "${BASH_SOURCE[0]%/*}/lib.sh"

(( $# >= 5 )) || kw_die "usage: attach.sh NS IF PEER_NS PEER_IF MTU [options]"
ns=$1 if=$2 peer_ns=$3 peer_if=$4 mtu=$5
shift 5
kw_netns "$ns"; kw_ifname "$if"; kw_netns "$peer_ns"; kw_ifname "$peer_if"
kw_uint "$mtu" 576 9000 "MTU"
addr='' mac='' peer_master='' peer_addr=''
routes=()
while (( $# > 0 )); do
  case $1 in
    --addr) kw_cidr "${2:-}"; addr=$2; shift 2 ;;
    --mac) kw_mac "${2:-}"; mac=$2; shift 2 ;;
    --peer-addr) kw_cidr "${2:-}"; peer_addr=$2; shift 2 ;;
    --peer-master) kw_ifname "${2:-}"; peer_master=$2; shift 2 ;;
    --route)
      [[ ${2:-} == default ]] || kw_cidr "${2:-}"
      kw_ipv4 "${3:-}"
      routes+=("$2" "$3"); shift 3 ;;
    *) kw_die "unknown option '$1'" ;;
  esac
done
kw_need_netns "$ns"; kw_need_netns "$peer_ns"

has_link() { ip -n "$1" link show dev "$2" >/dev/null 2>&1; }
created=false
if has_link "$ns" "$if" && has_link "$peer_ns" "$peer_if"; then
  :
else
  # A lone end cannot exist for a veth (deleting one end deletes both), but a same-named
  # device of another kind could: remove it so the pair below can be made.
  has_link "$ns" "$if" && ip -n "$ns" link delete dev "$if"
  has_link "$peer_ns" "$peer_if" && ip -n "$peer_ns" link delete dev "$peer_if"
  ip link add "$if" netns "$ns" mtu "$mtu" type veth peer name "$peer_if" netns "$peer_ns" mtu "$mtu"
  created=true
fi

{
  [[ -z $mac ]] || printf 'link set dev %s address %s\n' "$if" "$mac"
  [[ -z $addr ]] || printf 'addr replace %s dev %s\n' "$addr" "$if"
  printf 'link set dev %s up\n' "$if"
  for (( i = 0; i < ${#routes[@]}; i += 2 )); do
    printf 'route replace %s via %s dev %s\n' "${routes[i]}" "${routes[i+1]}" "$if"
  done
} | ip -n "$ns" -batch -
{
  [[ -z $peer_master ]] || printf 'link set dev %s master %s\n' "$peer_if" "$peer_master"
  [[ -z $peer_addr ]] || printf 'addr replace %s dev %s\n' "$peer_addr" "$peer_if"
  printf 'link set dev %s up\n' "$peer_if"
} | ip -n "$peer_ns" -batch -
printf '{"created":%s}\n' "$created"
