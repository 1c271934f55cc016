#!/usr/bin/env bash
# Helpers of the controllers lab (sourced after labs/lib/lab.sh).

# json EXPR: evaluates a JavaScript expression over the JSON read from stdin (bound to `o`) and
# prints the result (node runs kubewire, so it is always there; no jq needed).
json() {
  node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const o=JSON.parse(s);const r=('"$1"');process.stdout.write(typeof r==="string"?r:JSON.stringify(r))})'
}

# hello_rs: the ReplicaSets of the Deployment hello, as one line each:
#   NAME REVISION REPLICAS READY VERSION(env of the template, - when unset)
hello_rs() {
  kw_api GET '/apis/apps/v1/namespaces/default/replicasets?labelSelector=app%3Dhello' 2>/dev/null | json 'o.items
    .filter(r => (r.metadata.ownerReferences || []).some(x => x.kind === "Deployment" && x.name === "hello"))
    .map(r => [r.metadata.name, (r.metadata.annotations || {})["deployment.kubernetes.io/revision"] || "-", r.spec.replicas, r.status.readyReplicas || 0,
      ((r.spec.template.spec.containers[0].env || []).find(e => e.name === "VERSION") || {}).value || "-"].join(" ")).join("\n")'
}
