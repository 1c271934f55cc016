#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
set -euo pipefail
kw_api GET /apis/networking.k8s.io/v1/namespaces/default/ingresses/kubia >/dev/null 2>&1 \
  || kw_api POST /apis/networking.k8s.io/v1/namespaces/default/ingresses application/json \
    '{"apiVersion":"networking.k8s.io/v1","kind":"Ingress","metadata":{"name":"kubia"},"spec":{"rules":[{"host":"kubia.example.com","http":{"paths":[{"path":"/","pathType":"Prefix","backend":{"service":{"name":"kubia","port":{"number":8080}}}}]}}]}}' >/dev/null
# Wait on the conditions: the controller's address, then the rule in force (kubia answers).
for _ in $(seq 300); do
  ip=$(lb_ip ingress ingress-controller)
  if [ -n "$ip" ] && in_ns internet curl -s -m 2 -H 'Host: kubia.example.com' "$ip/" | grep -q "You've hit"; then exit 0; fi
  sleep 0.1
done
echo "kubia did not answer through the ingress controller within about 30 s" >&2
exit 1
