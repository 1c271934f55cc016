#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
set -euo pipefail
# What `kubectl expose deployment kubia --port=8080` sends.
[ -n "$(cluster_ip kubia)" ] || kw_api POST /api/v1/namespaces/default/services application/json \
  '{"apiVersion":"v1","kind":"Service","metadata":{"name":"kubia","labels":{"app":"kubia"}},"spec":{"selector":{"app":"kubia"},"ports":[{"port":8080,"targetPort":8080,"protocol":"TCP"}]}}' >/dev/null
for _ in $(seq 300); do
  [ "$(resolve kubia.default.svc.cluster.local)" = "$(cluster_ip kubia)" ] && exit 0
  sleep 0.1
done
echo "the cluster DNS did not answer kubia's name within about 30 s" >&2
exit 1
