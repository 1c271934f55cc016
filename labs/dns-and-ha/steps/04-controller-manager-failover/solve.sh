#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
set -euo pipefail
kill_leader kube-controller-manager
# What `kubectl scale deployment kubia --replicas=3` sends (to the scale subresource).
kw_api PATCH /apis/apps/v1/namespaces/default/deployments/kubia/scale application/merge-patch+json \
  '{"spec":{"replicas":3}}' >/dev/null
await_takeover kube-controller-manager
for _ in $(seq 240); do
  [ "$(kw_api GET /apis/apps/v1/namespaces/default/deployments/kubia | json 'String(o.status.readyReplicas || 0)')" = 3 ] && exit 0
  sleep 0.5
done
echo "the Deployment kubia did not get 3 ready replicas within about 2 minutes" >&2
exit 1
