#!/usr/bin/env bash
# Helpers of the control-plane lab (sourced after labs/lib/lab.sh).

# can_i SA VERB RESOURCE: does RBAC allow ServiceAccount default/SA to VERB RESOURCE in default?
# A SubjectAccessReview only asks; nothing changes.
can_i() {
  kw_api POST /apis/authorization.k8s.io/v1/subjectaccessreviews application/json \
    "{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":\"SubjectAccessReview\",\"spec\":{\"user\":\"system:serviceaccount:default:$1\",\"groups\":[\"system:serviceaccounts\",\"system:serviceaccounts:default\",\"system:authenticated\"],\"resourceAttributes\":{\"namespace\":\"default\",\"verb\":\"$2\",\"resource\":\"$3\"}}}" 2>/dev/null \
    | grep -q '"allowed":true'
}
