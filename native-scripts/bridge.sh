#!/usr/bin/env bash
# Creates a Linux bridge inside a namespace (the underlay switch br0, a node's docker0), with an
# optional address, and brings it up. Idempotent. Usage: bridge.sh NS BR MTU [CIDR]
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "${BASH_SOURCE[0]%/*}/lib.sh"

(( $# == 3 || $# == 4 )) || kw_die "usage: bridge.sh NS BR MTU [CIDR]"
ns=$1 br=$2 mtu=$3 cidr=${4:-}
kw_netns "$ns"; kw_ifname "$br"; kw_uint "$mtu" 576 9000 "MTU"
[[ -z $cidr ]] || kw_cidr "$cidr"
kw_need_netns "$ns"

created=false
if ! ip -n "$ns" link show dev "$br" >/dev/null 2>&1; then
  ip -n "$ns" link add "$br" mtu "$mtu" type bridge
  created=true
fi
{
  [[ -z $cidr ]] || printf 'addr replace %s dev %s\n' "$cidr" "$br"
  printf 'link set dev %s up\n' "$br"
} | ip -n "$ns" -batch -
printf '{"created":%s}\n' "$created"
