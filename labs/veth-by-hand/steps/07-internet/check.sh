#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
[ -f "/etc/netns/$CONTAINER/resolv.conf" ] || fail "/etc/netns/$CONTAINER/resolv.conf is missing, so the container has no lab resolver"
body=$(ip netns exec "$CONTAINER" curl -s -m 5 google.com || true)
[ -n "$body" ] || fail "curl google.com from the container got no answer"
expect_not "ping google.com got an answer; the gateway should not translate ICMP" \
  ip netns exec "$CONTAINER" ping -c 1 -W 1 google.com
done_checking
