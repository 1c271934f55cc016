#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
ip=$(lb_ip default kubia)
if [ -z "$ip" ]; then
  fail "the Service kubia has no load balancer address; make it type LoadBalancer"
else
  ct_list gateway -p tcp --orig-dst "$ip" --dport 8080 2>/dev/null \
    | grep -Eq "src=198\.51\.100\.[0-9]+ dst=$ip sport=[0-9]+ dport=8080 src=10\.231\.209\.117 " \
    || fail "the gateway has no connection from the Internet to $ip:8080 forwarded to node5; curl $ip:8080 from the internet terminal"
fi
done_checking
