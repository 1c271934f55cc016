#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
set -euo pipefail
[ -n "$(cluster_ip kubia-headless)" ] || kw_api POST /api/v1/namespaces/default/services application/json \
  '{"apiVersion":"v1","kind":"Service","metadata":{"name":"kubia-headless"},"spec":{"clusterIP":"None","selector":{"app":"kubia"},"ports":[{"port":8080,"targetPort":8080,"protocol":"TCP"}]}}' >/dev/null
for _ in $(seq 300); do
  [ "$(resolve kubia-headless.default.svc.cluster.local | wc -l)" = 2 ] && exit 0
  sleep 0.1
done
echo "the cluster DNS did not answer kubia-headless with two pods within about 30 s" >&2
exit 1
