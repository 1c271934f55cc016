#!/usr/bin/env bash
# Helpers of the in-and-out lab (sourced after labs/lib/lab.sh).
# shellcheck disable=SC2034  # the constants are used by the step scripts that source this file

# lb_ip NAMESPACE SERVICE: the address the cloud gave a LoadBalancer Service (empty if none yet).
lb_ip() {
  kw_api GET "/api/v1/namespaces/$1/services/$2" 2>/dev/null \
    | sed -n 's/.*"loadBalancer":{"ingress":\[{"ip":"\([0-9.]*\)".*/\1/p'
}
