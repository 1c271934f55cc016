#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
set -euo pipefail
in_ns node5 ip link show veth123 >/dev/null 2>&1 || in_ns node5 ip link add veth123 type veth peer name veth456
in_ns node5 ip link set veth123 master cni0
in_ns node5 ip link set veth123 up
