#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
# A kube-controller-manager that held the Lease was killed, the other replica holds it now, and the
# kubia Deployment was scaled to 3 with 3 ready pods (the new leader's controllers made the third).
check_failover kube-controller-manager
read -r want ready <<<"$(kw_api GET /apis/apps/v1/namespaces/default/deployments/kubia 2>/dev/null | json '[o.spec.replicas, o.status.readyReplicas || 0].join(" ")')"
if [ "${want:-}" != 3 ]; then
  fail "the Deployment kubia asks for ${want:-no} replicas, not 3: kubectl scale deployment kubia --replicas=3"
elif [ "${ready:-0}" != 3 ]; then
  fail "the Deployment kubia has ${ready:-0} ready replicas of 3 (yet? its controllers run only in the leading controller manager)"
fi
done_checking
