#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
set -euo pipefail
kw_api PATCH /apis/apps/v1/namespaces/default/deployments/kubia/scale \
  application/merge-patch+json '{"spec":{"replicas":3}}' >/dev/null
# Wait on the condition itself: the pods' deletion, the endpoints' update and kube-proxy's sync.
for _ in $(seq 300); do
  [ "$(svc_rules node5 | grep -c -- '-j KUBE-SEP-')" = 3 ] && exit 0
  sleep 0.1
done
echo "node5's $SVC_CHAIN did not shrink to three endpoints within 30 s" >&2
exit 1
