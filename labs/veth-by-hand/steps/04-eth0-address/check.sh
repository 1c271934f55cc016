#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
if ! ip netns exec "$CONTAINER" ip -o -4 addr show dev eth0 2>/dev/null | grep -q ' 192.168.132.150/24 '; then
  fail "the container's eth0 does not have 192.168.132.150/24 (or has no eth0 yet)"
  done_checking
fi
ip netns exec "$CONTAINER" ip -j link show eth0 | grep -q '"UP"' || fail "eth0 in the container is down"
expect "node5 cannot ping 192.168.132.150" in_ns node5 ping -c 1 -W 2 192.168.132.150
expect "the container cannot ping the kubia pod 192.168.132.73" ip netns exec "$CONTAINER" ping -c 1 -W 2 192.168.132.73
body=$(ip netns exec "$CONTAINER" curl -s -m 3 192.168.132.73:8080 || true)
case "$body" in
  *"You've hit"*) ;;
  *) fail "curl 192.168.132.73:8080 from the container did not get kubia's answer (got: ${body:-nothing})" ;;
esac
done_checking
