#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
# kubia-rpr99 reached itself through the Service, masqueraded to cni0's address: the reply
# direction goes from 192.168.132.72 to 192.168.132.1.
lines=$(ct_list node5 -p tcp --orig-src 192.168.132.72 --orig-dst "$CLUSTER_IP" --dport 8080 2>/dev/null)
if ! grep -q 'src=192\.168\.132\.72 dst=192\.168\.132\.1 sport=8080' <<<"$lines"; then
  fail "no connection of kubia-rpr99 (192.168.132.72) to 192.168.199.234:8080 that came back to itself masqueraded as 192.168.132.1; call the Service from the kubia terminal until it answers You've hit kubia-rpr99"
fi
done_checking
