#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
set -euo pipefail
create_pod '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"stuck","labels":{"run":"stuck"}},"spec":{"nodeSelector":{"kubernetes.io/hostname":"node1"},"containers":[{"name":"stuck","image":"tools"}]}}'
unschedulable() {
  kw_api GET /api/v1/namespaces/default/pods/stuck 2>/dev/null | grep -q '"reason":"Unschedulable"'
}
wait_for unschedulable
