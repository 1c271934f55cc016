#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
if [ ! -s "$FLOOD_CAPTURE" ]; then
  fail "no capture in $FLOOD_CAPTURE yet; capture on the tools pod's veth while rpr99 pings 24hmb with learning off on 24hmb's port"
else
  tcpdump -nr "$FLOOD_CAPTURE" 2>/dev/null | grep -q '192\.168\.132\.72 > 192\.168\.132\.73: ICMP echo request' \
    || fail "the tools pod's port saw no echo request from 192.168.132.72 to 192.168.132.73: the bridge did not flood it"
fi
done_checking
