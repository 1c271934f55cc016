#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
set -euo pipefail
kw_api GET /api/v1/namespaces/default/serviceaccounts/reader >/dev/null 2>&1 \
  || kw_api POST /api/v1/namespaces/default/serviceaccounts application/json '{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"reader"}}' >/dev/null
kw_api GET /apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings/reader-view >/dev/null 2>&1 \
  || kw_api POST /apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings application/json \
    '{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"reader-view"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"view"},"subjects":[{"kind":"ServiceAccount","name":"reader","namespace":"default"}]}' >/dev/null
# RBAC serves from a watch: wait until the binding is in force.
for _ in $(seq 300); do can_i reader list pods && exit 0; sleep 0.1; done
echo "the binding did not take effect within about 30 s" >&2
exit 1
