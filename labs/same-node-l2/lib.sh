#!/usr/bin/env bash
# Helpers of the same-node-l2 lab (sourced after labs/lib/lab.sh).
# shellcheck disable=SC2034  # the constants are used by the step scripts that source this file

A_IP=192.168.132.72   # kubia-rpr99
A_MAC=f2:98:cd:7b:23:d9
B_IP=192.168.132.73   # kubia-24hmb
B_MAC=3e:43:3e:1f:48:a1

# host_veth POD: the node-side end of POD's eth0 (its peer's ifindex, looked up on node5), so the
# scripts never depend on what cni0 has learned.
host_veth() {
  local idx
  idx=$(in_ns "$1" ip -o link show eth0 | sed -n 's/^[0-9]*: eth0@if\([0-9]*\):.*/\1/p')
  [ -n "$idx" ] || return 1
  in_ns node5 ip -o link show | awk -F': ' -v i="$idx" '$1 == i { sub(/@.*/, "", $2); print $2 }'
}

# learned MAC VETH: cni0 learned MAC behind port VETH (a dynamic entry, not a permanent one).
learned() {
  in_ns node5 bridge fdb show br cni0 2>/dev/null | grep "^$1 dev $2 " | grep -qv permanent
}

# The learner's captures (the lab's state folder, which the lab's reset removes; terminals see
# KW_LAB_STATE too).
CAPTURE="$KW_LAB_STATE/veth.pcap"
FLOOD_CAPTURE="$KW_LAB_STATE/flood.pcap"
