#!/usr/bin/env bash
# Creates a Linux bridge inside a namespace (the underlay switch br0, a node's docker0), with an
# optional address and MAC, and brings it up. Idempotent. Usage: bridge.sh NS BR MTU [CIDR] [--mac MAC]
# (--mac: a node's cni0 made up front with the article's MAC; the bridge CNI plugin then uses it.)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "${BASH_SOURCE[0]%/*}/lib.sh"

(( $# >= 3 && $# <= 6 )) || kw_die "usage: bridge.sh NS BR MTU [CIDR] [--mac MAC]"
ns=$1 br=$2 mtu=$3
shift 3
cidr='' mac=''
if (( $# > 0 )) && [[ $1 != --* ]]; then cidr=$1; shift; fi
if (( $# > 0 )); then
  [[ $1 == --mac && $# == 2 ]] || kw_die "unknown option '$1'"
  kw_mac "$2"; mac=$2
fi
kw_netns "$ns"; kw_ifname "$br"; kw_uint "$mtu" 576 9000 "MTU"
[[ -z $cidr ]] || kw_cidr "$cidr"
kw_need_netns "$ns"

created=false
if ! ip -n "$ns" link show dev "$br" >/dev/null 2>&1; then
  ip -n "$ns" link add "$br" mtu "$mtu" type bridge
  created=true
fi
{
  # Set explicitly, a bridge keeps its MAC instead of taking its lowest port's.
  [[ -z $mac ]] || printf 'link set dev %s address %s\n' "$br" "$mac"
  [[ -z $cidr ]] || printf 'addr replace %s dev %s\n' "$cidr" "$br"
  printf 'link set dev %s up\n' "$br"
} | ip -n "$ns" -batch -
printf '{"created":%s}\n' "$created"
