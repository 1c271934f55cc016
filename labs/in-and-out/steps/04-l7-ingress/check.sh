#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
# The ingress proxy opened its own connection to kubia's cluster IP for a request from outside.
kw_api GET /apis/networking.k8s.io/v1/namespaces/default/ingresses/kubia >/dev/null 2>&1 \
  || fail "there is no Ingress kubia in namespace default; create it with kubectl create ingress"
pod_ip=$(kw_api GET '/api/v1/namespaces/ingress/pods?labelSelector=app.kubernetes.io%2Fname%3Dkubewire-ingress' 2>/dev/null | grep -o '"podIP":"[0-9.]*"' | head -1 | cut -d'"' -f4)
if [ -z "$pod_ip" ]; then
  fail "cannot find the ingress controller's pod"
else
  ct_list node5 -p tcp --orig-src "$pod_ip" --orig-dst 192.168.199.234 --dport 8080 2>/dev/null | grep -q . \
    || fail "the ingress controller ($pod_ip) has not connected to kubia's cluster IP yet; curl its address with -H 'Host: kubia.example.com' from the internet terminal"
fi
done_checking
