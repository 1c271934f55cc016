#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
rs=$(hello_rs)
read -r oname orev _ oready _ <<<"$(awk '$5 == "-"' <<<"$rs")"
read -r nname _ nreplicas _ _ <<<"$(awk '$5 == "2"' <<<"$rs")"
if [ -z "$oname" ]; then
  fail "the first ReplicaSet of hello is gone"
else
  [ "$orev" = 3 ] || fail "the first ReplicaSet $oname is revision $orev, not 3: the Deployment was not rolled back (kubectl rollout undo deployment/hello)"
  [ "$oready" = 2 ] || fail "the first ReplicaSet $oname has $oready ready pods, not 2"
  [ "${nreplicas:-0}" = 0 ] || fail "the VERSION=2 ReplicaSet $nname still wants $nreplicas pods"
fi
done_checking
