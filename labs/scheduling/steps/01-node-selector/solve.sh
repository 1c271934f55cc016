#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
set -euo pipefail
kw_api PATCH /api/v1/nodes/node2 application/merge-patch+json '{"metadata":{"labels":{"disktype":"ssd"}}}' >/dev/null
create_pod '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"fast","labels":{"run":"fast"}},"spec":{"nodeSelector":{"disktype":"ssd"},"containers":[{"name":"fast","image":"tools"}]}}'
on_node2() { [ "$(node_of fast)" = node2 ]; }
wait_for on_node2
