#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
set -euo pipefail
kw_api PATCH /apis/apps/v1/namespaces/default/deployments/hello application/strategic-merge-patch+json \
  '{"spec":{"template":{"spec":{"containers":[{"name":"tools","env":[{"name":"VERSION","value":"2"}]}]}}}}' >/dev/null
for _ in $(seq 600); do
  rs=$(hello_rs)
  if awk '$5 == "2" && $4 == 2 { n++ } $5 == "-" && $3 == 0 { o++ } END { exit !(n && o) }' <<<"$rs"; then exit 0; fi
  sleep 0.1
done
echo "the rollout did not finish within about 60 s" >&2
exit 1
