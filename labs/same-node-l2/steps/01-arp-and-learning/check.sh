#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
in_ns default/kubia-rpr99 ip neigh show "$B_IP" dev eth0 | grep -q "lladdr $B_MAC" \
  || fail "kubia-rpr99 has no ARP entry for 192.168.132.73 ($B_MAC); ping it from the rpr99 terminal"
in_ns default/kubia-24hmb ip neigh show "$A_IP" dev eth0 | grep -q "lladdr $A_MAC" \
  || fail "kubia-24hmb did not learn kubia-rpr99's MAC from its ARP request"
va=$(host_veth default/kubia-rpr99); vb=$(host_veth default/kubia-24hmb)
if [ -z "$va" ] || [ -z "$vb" ]; then
  fail "cannot find the pods' veths on node5"
else
  learned "$A_MAC" "$va" || fail "cni0 has not learned $A_MAC on $va (kubia-rpr99's port)"
  learned "$B_MAC" "$vb" || fail "cni0 has not learned $B_MAC on $vb (kubia-24hmb's port)"
fi
done_checking
