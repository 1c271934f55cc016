#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
set -euo pipefail
if in_ns node5 ip link show veth456 >/dev/null 2>&1; then
  in_ns node5 ip link set veth456 netns "$CONTAINER"
fi
if ip netns exec "$CONTAINER" ip link show veth456 >/dev/null 2>&1; then
  ip netns exec "$CONTAINER" ip link set veth456 name eth0
fi
ip netns exec "$CONTAINER" ip link set eth0 up
ip netns exec "$CONTAINER" ip addr replace 192.168.132.150/24 dev eth0
