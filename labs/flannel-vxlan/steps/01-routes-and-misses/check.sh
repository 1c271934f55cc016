#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
in_ns node5 ip route show 192.168.128.0/24 | grep -q 'via 192.168.128.0 dev flannel.1 onlink' \
  || fail "node5 has no route 192.168.128.0/24 via 192.168.128.0 dev flannel.1 onlink (flanneld should have made it)"
has_neigh || fail "node5 has no neighbour entry 192.168.128.0 lladdr $NODE1_VTEP_MAC on flannel.1 yet; ping 192.168.128.10 from the tools pod"
has_fdb || fail "node5 has no FDB entry $NODE1_VTEP_MAC dst $NODE1_ADDR on flannel.1 yet; ping 192.168.128.10 from the tools pod"
expect "the tools pod cannot ping the web pod 192.168.128.10 on node1" in_ns default/tools ping -c 1 -W 2 192.168.128.10
done_checking
