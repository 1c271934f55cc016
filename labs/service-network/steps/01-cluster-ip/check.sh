#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
# The tools pod (192.168.132.100) sent a request to the cluster IP, and node5 translated it to one
# of kubia's endpoints: conntrack's reply source is that endpoint.
found=0
for ip in $(reply_sources node5 192.168.132.100 "$CLUSTER_IP" 8080); do
  if is_kubia_ip "$ip"; then found=1; fi
done
[ "$found" = 1 ] || fail "node5's conntrack has no connection from the tools pod (192.168.132.100) to 192.168.199.234:8080 translated to a kubia pod; run curl -s 192.168.199.234:8080 in the tools terminal"
done_checking
