#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
set -euo pipefail
# Each batch of thirty picks kubia-rpr99 with probability 1 - (5/6)^30 ≈ 0.996; retry until it did.
for _ in 1 2 3 4 5; do
  # shellcheck disable=SC2046
  in_ns default/kubia-rpr99 curl -s -m 30 -H 'Connection: close' $(for _ in $(seq 30); do printf '%s:8080/ ' "$CLUSTER_IP"; done) >/dev/null || true
  if in_ns node5 conntrack -L -p tcp --orig-src 192.168.132.72 --orig-dst "$CLUSTER_IP" --dport 8080 2>/dev/null \
    | grep -q 'src=192\.168\.132\.72 dst=192\.168\.132\.1 sport=8080'; then exit 0; fi
done
echo "kubia-rpr99 never reached itself through the Service" >&2
exit 1
