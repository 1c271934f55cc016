#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
set -euo pipefail
# Sixty requests reach all six endpoints but for a chance of about 1 in 10,000; keep going (up to
# 300) in that case rather than leave it to chance.
for _ in 1 2 3 4 5; do
  # One curl, sixty URLs, each on a fresh connection (Connection: close): sixty conntrack entries.
  # shellcheck disable=SC2046
  in_ns default/tools curl -s -m 30 -H 'Connection: close' $(for _ in $(seq 60); do printf '%s:8080/ ' "$CLUSTER_IP"; done) >/dev/null || true
  reached=$(reply_sources node5 192.168.132.100 "$CLUSTER_IP" 8080 | sort -u | wc -l)
  [ "$reached" -ge 6 ] && exit 0
done
echo "sent 300 requests and did not reach all six endpoints" >&2
exit 1
