#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
set -euo pipefail
kw_api PATCH /api/v1/nodes/node1 application/merge-patch+json '{"spec":{"taints":[{"key":"dedicated","value":"lab","effect":"NoSchedule"}]}}' >/dev/null
create_pod '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"guest","labels":{"run":"guest"}},"spec":{"nodeSelector":{"kubernetes.io/hostname":"node1"},"tolerations":[{"key":"dedicated","operator":"Equal","value":"lab","effect":"NoSchedule"}],"containers":[{"name":"guest","image":"tools"}]}}'
on_node1() { [ "$(node_of guest)" = node1 ]; }
wait_for on_node1
