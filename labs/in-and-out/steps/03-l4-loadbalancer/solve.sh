#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
set -euo pipefail
kw_api PATCH /api/v1/namespaces/default/services/kubia application/merge-patch+json '{"spec":{"type":"LoadBalancer"}}' >/dev/null
# Wait on the conditions: an address from the cloud, then a first answer through it.
for _ in $(seq 300); do
  ip=$(lb_ip default kubia)
  if [ -n "$ip" ] && in_ns internet curl -s -m 2 "$ip:8080" | grep -q "You've hit"; then exit 0; fi
  sleep 0.1
done
echo "no answer through the load balancer within about 30 s" >&2
exit 1
