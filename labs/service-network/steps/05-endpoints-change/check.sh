#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
# node5's KUBE-SVC chain of kubia has three endpoint rules: 1/3, 1/2, and the rest.
rules=$(svc_rules node5)
n=$(grep -c -- '-j KUBE-SEP-' <<<"$rules")
[ "$n" = 3 ] || fail "node5's $SVC_CHAIN jumps to $n endpoints, not 3; scale the kubia Deployment to 3 replicas"
grep -q 'probability 0\.333' <<<"$rules" || fail "node5's $SVC_CHAIN has no rule with probability 1/3"
grep -q 'probability 0\.5' <<<"$rules" || fail "node5's $SVC_CHAIN has no rule with probability 1/2"
done_checking
