#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
set -euo pipefail
# What `kubectl create deployment hello --image=tools --replicas=2` sends.
kw_api GET /apis/apps/v1/namespaces/default/deployments/hello >/dev/null 2>&1 \
  || kw_api POST /apis/apps/v1/namespaces/default/deployments application/json \
    '{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"hello","labels":{"app":"hello"}},"spec":{"replicas":2,"selector":{"matchLabels":{"app":"hello"}},"template":{"metadata":{"labels":{"app":"hello"}},"spec":{"containers":[{"name":"tools","image":"tools"}]}}}}' >/dev/null
for _ in $(seq 600); do
  read -r _ _ _ ready _ <<<"$(hello_rs | head -1)"
  [ "${ready:-0}" = 2 ] && exit 0
  sleep 0.1
done
echo "the Deployment hello did not get 2 ready pods within about 60 s" >&2
exit 1
