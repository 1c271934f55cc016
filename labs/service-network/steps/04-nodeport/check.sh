#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
# node1 translated an Internet client's request to its NodePort into a pod on another node, and
# masqueraded it to its flannel.1 address (the reply goes to 192.168.128.0).
lines=$(ct_list node1 -p tcp --orig-dst 10.231.209.113 --dport 32681 2>/dev/null)
grep -Eq 'src=198\.51\.100\.[0-9]+ dst=10\.231\.209\.113 sport=[0-9]+ dport=32681 src=192\.168\.13[123]\.[0-9]+ dst=192\.168\.128\.0 sport=8080' <<<"$lines" \
  || fail "node1 has no conntrack entry of a request from the Internet (198.51.100.x) to 10.231.209.113:32681 answered by a kubia pod through flannel.1; run the curl loop in the internet terminal"
done_checking
