#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
# The chain happened: Deployment → ReplicaSet (owned) → 2 running pods (owned, bound) and the
# events of each controller.
rs=$(hello_rs)
if [ -z "$rs" ]; then
  fail "there is no ReplicaSet of a Deployment hello; create it: kubectl create deployment hello --image=tools --replicas=2"
else
  read -r name _ _ ready _ <<<"$(head -1 <<<"$rs")"
  [ "$ready" = 2 ] || fail "ReplicaSet $name has $ready ready pods, not 2 (yet?)"
  pods=$(kw_api GET '/api/v1/namespaces/default/pods?labelSelector=app%3Dhello' | json 'o.items
    .filter(p => (p.metadata.ownerReferences || []).some(x => x.name === "'"$name"'") && p.spec.nodeName === "node5" && p.status.phase === "Running").length')
  [ "$pods" = 2 ] || fail "$pods pods of $name are bound to node5 and running, not 2"
  reasons=$(kw_api GET /api/v1/namespaces/default/events | json 'o.items.filter(e => /^hello/.test(e.involvedObject.name)).map(e => e.reason).join(" ")')
  for r in ScalingReplicaSet SuccessfulCreate Scheduled Started; do
    grep -qw "$r" <<<"$reasons" || fail "no $r event about hello yet"
  done
fi
done_checking
