#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
cond=$(kw_api GET /api/v1/namespaces/default/pods/stuck 2>/dev/null | json '(((o.status || {}).conditions || []).find(c => c.type === "PodScheduled") || {}) ' 2>/dev/null)
case "$cond" in
  *'"reason":"Unschedulable"'*) ;;
  *) fail "there is no pod stuck that the scheduler found unschedulable; create it with nodeSelector kubernetes.io/hostname=node1" ;;
esac
case "$cond" in
  *"untolerated taint"*) ;;
  *) fail "the scheduler's message for stuck does not mention node1's untolerated taint" ;;
esac
[ -z "$(node_of stuck)" ] || fail "pod stuck was bound to a node"
done_checking
