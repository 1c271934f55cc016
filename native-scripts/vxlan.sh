#!/usr/bin/env bash
# Creates a node's VTEP, as flanneld does: a VXLAN device (flannel.1) bound to the underlay
# interface, learning off (peers are programmed, never learnt), no UDP checksum (flanneld leaves
# UDPCSum false: the article's `ip -d link` says noudpcsum), with the node's subnet .0/32.
# Idempotent. Usage: vxlan.sh NS DEV VNI LOCAL_IP UNDERLAY_IF DSTPORT MTU MAC CIDR [--miss]
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "${BASH_SOURCE[0]%/*}/lib.sh"

(( $# == 9 || $# == 10 )) || kw_die "usage: vxlan.sh NS DEV VNI LOCAL_IP UNDERLAY_IF DSTPORT MTU MAC CIDR [--miss]"
ns=$1 dev=$2 vni=$3 local_ip=$4 underlay=$5 port=$6 mtu=$7 mac=$8 cidr=$9
kw_netns "$ns"; kw_ifname "$dev"; kw_uint "$vni" 1 16777215 "VNI"; kw_ipv4 "$local_ip"
kw_ifname "$underlay"; kw_uint "$port" 1 65535 "UDP port"; kw_uint "$mtu" 576 9000 "MTU"
kw_mac "$mac"; kw_cidr "$cidr"
# --miss: flanneld's miss mode; the kernel asks for unknown neighbours and FDB entries (only
# settable when the device is created).
miss=()
if (( $# == 10 )); then [[ ${10} == --miss ]] || kw_die "unknown option '${10}'"; miss=(proxy l2miss l3miss); fi
kw_need_netns "$ns"

created=false
if ! ip -n "$ns" link show dev "$dev" >/dev/null 2>&1; then
  ip -n "$ns" link add "$dev" address "$mac" mtu "$mtu" type vxlan id "$vni" local "$local_ip" \
    dev "$underlay" dstport "$port" nolearning noudpcsum "${miss[@]}"
  created=true
fi
{
  printf 'addr replace %s dev %s\n' "$cidr" "$dev"
  printf 'link set dev %s up\n' "$dev"
} | ip -n "$ns" -batch -
printf '{"created":%s}\n' "$created"
