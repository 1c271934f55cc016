#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
set -euo pipefail
# What kubectl apply sends: a create with the last-applied annotation, then a merge patch of it.
applied() { printf '{"apiVersion":"v1","data":{"state":"%s"},"kind":"ConfigMap","metadata":{"name":"anatomy","namespace":"default"}}' "$1"; }
body() { printf '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"anatomy","annotations":{"kubectl.kubernetes.io/last-applied-configuration":%s}},"data":{"state":"%s"}}' "$(applied "$1" | sed 's/"/\\"/g; s/^/"/; s/$/"/')" "$1"; }
kw_api GET /api/v1/namespaces/default/configmaps/anatomy >/dev/null 2>&1 \
  || kw_api POST '/api/v1/namespaces/default/configmaps?fieldManager=kubectl-client-side-apply' application/json "$(body one)" >/dev/null
kw_api PATCH '/api/v1/namespaces/default/configmaps/anatomy?fieldManager=kubectl-client-side-apply' application/merge-patch+json "$(body two)" >/dev/null
# Two writers that read the object once (kubectl get -o yaml > a.yaml; cp a.yaml b.yaml): the
# first replace wins, the second carries a stale resourceVersion and gets 409.
obj=$(kw_api GET /api/v1/namespaces/default/configmaps/anatomy)
kw_api PUT /api/v1/namespaces/default/configmaps/anatomy application/json "${obj/\"state\":\"two\"/\"state\":\"from-a\"}" >/dev/null
if kw_api PUT /api/v1/namespaces/default/configmaps/anatomy application/json "${obj/\"state\":\"two\"/\"state\":\"from-b\"}" >/dev/null 2>&1; then
  echo "the second writer was not refused" >&2
  exit 1
fi
