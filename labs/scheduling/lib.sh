#!/usr/bin/env bash
# Helpers of the scheduling lab (sourced after labs/lib/lab.sh).

# json EXPR: evaluates a JavaScript expression over the JSON read from stdin (bound to `o`).
json() {
  node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const o=JSON.parse(s);const r=('"$1"');process.stdout.write(typeof r==="string"?r:JSON.stringify(r))})'
}

# node_of POD: the node the pod is bound to (empty while pending or absent).
node_of() {
  kw_api GET "/api/v1/namespaces/default/pods/$1" 2>/dev/null | json 'o.spec.nodeName || ""'
}

# create_pod JSON: creates a pod in default unless one of that name exists.
create_pod() {
  local name
  name=$(json 'o.metadata.name' <<<"$1")
  kw_api GET "/api/v1/namespaces/default/pods/$name" >/dev/null 2>&1 \
    || kw_api POST /api/v1/namespaces/default/pods application/json "$1" >/dev/null
}

# wait_for CMD...: retries CMD for up to about 60 s (conditions, not fixed sleeps).
wait_for() {
  for _ in $(seq 600); do "$@" && return 0; sleep 0.1; done
  return 1
}
