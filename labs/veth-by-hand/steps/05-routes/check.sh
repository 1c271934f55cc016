#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
routes=$(ip netns exec "$CONTAINER" ip route 2>/dev/null)
grep -q '^default via 192.168.132.1 ' <<<"$routes" || fail "no default route via 192.168.132.1 in the container"
grep -q '^192.168.128.0/18 via 192.168.132.1 ' <<<"$routes" || fail "no route to the pod network 192.168.128.0/18 via 192.168.132.1"
expect "the container cannot ping 192.168.128.10 on node1" ip netns exec "$CONTAINER" ping -c 1 -W 2 192.168.128.10
done_checking
