#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
set -euo pipefail
# What `kill -9 $(pgrep -f -- "--name <leader> ")` does: the leader per `etcdctl endpoint status`.
# A ConfigMap of that name from before the kill would not prove anything: it goes first.
kw_api DELETE /api/v1/namespaces/default/configmaps/after-failover >/dev/null 2>&1 || true
leader=''
for _ in $(seq 60); do
  leader=$(etcd_leader_name)
  [ -n "$leader" ] && break
  sleep 0.5
done
[ -n "$leader" ] || { echo "no etcd member reports itself leader" >&2; exit 1; }
kill -9 "$(etcd_members | awk -v n="$leader" '$1 == n { print $2 }')"
# What `kubectl create configmap after-failover --from-literal=written=after-the-leader-died`
# sends; it is tried until the apiserver's store answers again (the election takes seconds).
body='{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"after-failover"},"data":{"written":"after-the-leader-died"}}'
for _ in $(seq 120); do
  kw_api POST /api/v1/namespaces/default/configmaps application/json "$body" >/dev/null 2>&1 && exit 0
  sleep 0.5
done
echo "the ConfigMap after-failover could not be created within about a minute" >&2
exit 1
