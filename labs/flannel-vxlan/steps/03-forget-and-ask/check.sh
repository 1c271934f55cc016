#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
# The entries are back, and flanneld answered the L3 miss a second time (the first was step 1's).
n=$(l3_answers)
[ "${n:-0}" -ge 2 ] || fail "flanneld on node5 answered the L3 miss for 192.168.128.0 only ${n:-0} time(s); delete the neighbour and FDB entries, then ping again"
has_neigh || fail "node5 has no neighbour entry for 192.168.128.0 on flannel.1"
has_fdb || fail "node5 has no FDB entry for $NODE1_VTEP_MAC on flannel.1"
done_checking
