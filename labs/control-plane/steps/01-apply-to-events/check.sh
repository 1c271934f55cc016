#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
cm=$(kw_api GET /api/v1/namespaces/default/configmaps/anatomy 2>/dev/null)
if [ -z "$cm" ]; then
  fail "there is no ConfigMap anatomy; apply it with kubectl apply"
else
  grep -q 'kubectl.kubernetes.io/last-applied-configuration' <<<"$cm" || fail "ConfigMap anatomy was not written by kubectl apply (no last-applied-configuration)"
  if grep -q '"state":"from-b"' <<<"$cm"; then
    fail "the second writer's replace went through: b.yaml must come from the same read as a.yaml (same resourceVersion), and a.yaml be replaced first"
  elif ! grep -q '"state":"from-a"' <<<"$cm"; then
    fail "ConfigMap anatomy does not hold the first writer's state from-a yet; do the two replaces"
  fi
fi
# The apiserver counts every answer (apiserver_request_total at /metrics): the refused replace is a
# PUT on configmaps answered 409.
kw_api GET /metrics 2>/dev/null | grep -Eq '^apiserver_request_total\{code="409",[^}]*resource="configmaps",[^}]*verb="PUT",[^}]*\} [1-9]' \
  || fail "the apiserver answered no replace of a ConfigMap with 409 Conflict yet (kubectl get --raw /metrics | grep 'code=\"409\"'); replace b.yaml after a.yaml"
done_checking
