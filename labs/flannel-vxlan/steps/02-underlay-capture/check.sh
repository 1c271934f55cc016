#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
# The learner's capture holds VXLAN packets between the nodes with the pods' ICMP inside.
if [ ! -s "$CAPTURE" ]; then
  fail "no capture in $CAPTURE yet; run tcpdump -ni eth0 -c 4 -w \$CAPTURE udp port 8472 in node5, then ping"
else
  text=$(tcpdump -nr "$CAPTURE" 2>/dev/null)
  grep -q '10\.231\.209\.117\.[0-9]* > 10\.231\.209\.113\.8472' <<<"$text" \
    || fail "the capture has no UDP packet from node5 (10.231.209.117) to node1's port 8472"
  grep -q '192\.168\.132\.100 > 192\.168\.128\.10: ICMP echo request' <<<"$text" \
    || fail "the capture's VXLAN packets do not carry the tools pod's ping to 192.168.128.10"
fi
done_checking
