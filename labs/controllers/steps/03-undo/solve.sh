#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
set -euo pipefail
# What kubectl rollout undo does: the previous revision's template, without the pod-template-hash
# label, replaces the Deployment's (a JSON patch).
template=$(kw_api GET '/apis/apps/v1/namespaces/default/replicasets?labelSelector=app%3Dhello' | json 'JSON.stringify((() => {
  const r = o.items.find(x => (x.metadata.annotations || {})["deployment.kubernetes.io/revision"] === "1");
  const t = r.spec.template; delete t.metadata.labels["pod-template-hash"]; return t; })())')
kw_api PATCH /apis/apps/v1/namespaces/default/deployments/hello application/json-patch+json \
  "[{\"op\":\"replace\",\"path\":\"/spec/template\",\"value\":$template}]" >/dev/null
for _ in $(seq 600); do
  rs=$(hello_rs)
  if awk '$5 == "-" && $2 == 3 && $4 == 2 { o++ } $5 == "2" && $3 == 0 { n++ } END { exit !(n && o) }' <<<"$rs"; then exit 0; fi
  sleep 0.1
done
echo "the undo did not finish within about 60 s" >&2
exit 1
