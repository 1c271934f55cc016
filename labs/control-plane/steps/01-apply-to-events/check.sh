#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
cm=$(kw_api GET /api/v1/namespaces/default/configmaps/anatomy 2>/dev/null)
if [ -z "$cm" ]; then
  fail "there is no ConfigMap anatomy; apply it with kubectl apply"
else
  grep -q 'kubectl.kubernetes.io/last-applied-configuration' <<<"$cm" || fail "ConfigMap anatomy was not written by kubectl apply (no last-applied-configuration)"
  grep -Eq '"state":"(two|from-a)"' <<<"$cm" || fail "ConfigMap anatomy still has its first state; apply the change (state=two)"
fi
done_checking
