#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
# The pod's HTTP request went out masqueraded by node5, then by the gateway; ping gets no answer.
ct_list node5 -p tcp --orig-src 192.168.132.100 --orig-dst 203.0.113.10 --dport 80 2>/dev/null \
  | grep -q 'src=203\.0\.113\.10 dst=10\.231\.209\.117 sport=80' \
  || fail "node5 has no connection of the tools pod to google.com (203.0.113.10:80) masqueraded to 10.231.209.117; run curl -s google.com in the tools terminal"
ct_list gateway -p tcp --orig-src 10.231.209.117 --orig-dst 203.0.113.10 --dport 80 2>/dev/null \
  | grep -q 'src=203\.0\.113\.10 dst=198\.51\.100\.1 sport=80' \
  || fail "the gateway has no connection from 10.231.209.117 to 203.0.113.10:80 translated to its public address 198.51.100.1"
expect_not "ping google.com from the tools pod got an answer; the gateway should not translate ICMP" \
  in_ns default/tools ping -c 1 -W 1 203.0.113.10
done_checking
