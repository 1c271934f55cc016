#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
# Every one of the six endpoints was chosen at least once for requests from the tools pod.
reached=$(reply_sources node5 192.168.132.100 "$CLUSTER_IP" 8080 | sort -u)
for ip in $KUBIA_IPS; do
  grep -qx "$ip" <<<"$reached" || fail "no request from the tools pod to 192.168.199.234:8080 reached $ip yet; send more requests (sixty give each pod about ten)"
done
done_checking
