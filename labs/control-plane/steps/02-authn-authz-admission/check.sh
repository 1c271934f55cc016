#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
kw_api GET /api/v1/namespaces/default/serviceaccounts/reader >/dev/null 2>&1 \
  || fail "there is no ServiceAccount reader; kubectl create serviceaccount reader"
if can_i reader list pods; then
  can_i reader create pods && fail "reader may create pods: bind it to the read-only ClusterRole view, nothing more"
else
  fail "reader may not list pods yet; kubectl create rolebinding reader-view --clusterrole=view --serviceaccount=default:reader"
fi
done_checking
