#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
json=$(in_ns node5 ip -j link show veth123 2>/dev/null) || { fail "node5 has no interface veth123; create the pair with ip link add"; done_checking; }
case "$json" in
  *'"master":"cni0"'*) ;;
  *) fail "veth123 is not a port of cni0; run: ip link set veth123 master cni0" ;;
esac
case "$json" in
  *'"UP"'*) ;;
  *) fail "veth123 is down; run: ip link set veth123 up" ;;
esac
in_ns node5 ip link show veth456 >/dev/null 2>&1 || ip netns exec "$CONTAINER" ip link show eth0 >/dev/null 2>&1 \
  || fail "the peer end veth456 is missing"
done_checking
