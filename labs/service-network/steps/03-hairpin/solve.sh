#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
set -euo pipefail
# Each batch of thirty picks kubia-rpr99 with probability 1 - (5/6)^30 ≈ 0.996; retry until it did.
seen=''
for _ in 1 2 3 4 5; do
  # shellcheck disable=SC2046
  answers=$(in_ns default/kubia-rpr99 curl -s -m 30 -H 'Connection: close' $(for _ in $(seq 30); do printf '%s:8080/ ' "$CLUSTER_IP"; done) 2>&1) || true
  lines=$(ct_list node5 -p tcp --orig-src 192.168.132.72 --orig-dst "$CLUSTER_IP" --dport 8080) || true
  if grep -q 'src=192\.168\.132\.72 dst=192\.168\.132\.1 sport=8080' <<<"$lines"; then exit 0; fi
  seen=$(grep -o "You've hit [a-z0-9-]*" <<<"$answers" | sort | uniq -c | tr -s ' \n' ' ')
done
echo "kubia-rpr99 never reached itself through the Service (answers: ${seen:-none}; conntrack: $(tail -n 2 <<<"${lines:-}" | tr '\n' ' '))" >&2
exit 1
