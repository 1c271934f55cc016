#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
rs=$(hello_rs)
new=$(awk '$5 == "2"' <<<"$rs"); old=$(awk '$5 == "-"' <<<"$rs")
if [ -z "$new" ]; then
  fail "no ReplicaSet of hello has VERSION=2 in its template; run kubectl set env deployment/hello VERSION=2"
else
  read -r name rev _ ready _ <<<"$new"
  [ "$ready" = 2 ] || fail "the new ReplicaSet $name has $ready ready pods, not 2 (the rollout is not finished)"
  [ "$rev" = 2 ] || fail "the new ReplicaSet $name is revision $rev, not 2"
  read -r oname _ oreplicas _ _ <<<"$old"
  [ -n "$oname" ] || fail "the first ReplicaSet of hello is gone; it should stay, scaled to 0"
  [ "${oreplicas:-x}" = 0 ] || fail "the old ReplicaSet $oname still wants ${oreplicas:-?} pods"
fi
done_checking
