#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
if [ ! -s "$CAPTURE" ]; then
  fail "no capture in $CAPTURE yet; capture on kubia-24hmb's veth while rpr99 pings 192.168.132.73"
else
  text=$(tcpdump -nr "$CAPTURE" 2>/dev/null)
  grep -q 'ARP, Request who-has 192\.168\.132\.73 tell 192\.168\.132\.72' <<<"$text" \
    || fail "the capture has no ARP request for 192.168.132.73 from 192.168.132.72 (flush rpr99's neighbour table before pinging)"
  grep -q '192\.168\.132\.72 > 192\.168\.132\.73: ICMP echo request' <<<"$text" \
    || fail "the capture has no echo request from 192.168.132.72 to 192.168.132.73"
fi
done_checking
