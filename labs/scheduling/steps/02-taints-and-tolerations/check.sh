#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
taint=$(kw_api GET /api/v1/nodes/node1 2>/dev/null | json '((o.spec || {}).taints || []).filter(t => t.key === "dedicated" && t.value === "lab" && t.effect === "NoSchedule").length')
[ "$taint" = 1 ] || fail "node1 has no taint dedicated=lab:NoSchedule"
tol=$(kw_api GET /api/v1/namespaces/default/pods/guest 2>/dev/null | json '((o.spec || {}).tolerations || []).filter(t => t.key === "dedicated").length')
[ "${tol:-0}" -ge 1 ] 2>/dev/null || fail "there is no pod guest with a toleration for dedicated"
[ "$(node_of guest)" = node1 ] || fail "pod guest is not bound to node1 (yet?)"
done_checking
