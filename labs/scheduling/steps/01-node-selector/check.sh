#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
label=$(kw_api GET /api/v1/nodes/node2 2>/dev/null | json '(o.metadata.labels || {}).disktype || ""')
[ "$label" = ssd ] || fail "node2 has no label disktype=ssd; kubectl label node node2 disktype=ssd"
sel=$(kw_api GET /api/v1/namespaces/default/pods/fast 2>/dev/null | json '((o.spec || {}).nodeSelector || {}).disktype || ""')
[ "$sel" = ssd ] || fail "there is no pod fast with nodeSelector disktype=ssd"
[ "$(node_of fast)" = node2 ] || fail "pod fast is not bound to node2 (yet?)"
done_checking
