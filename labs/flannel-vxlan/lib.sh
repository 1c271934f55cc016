#!/usr/bin/env bash
# Helpers of the flannel-vxlan lab (sourced after labs/lib/lab.sh).
# shellcheck disable=SC2034  # the constants are used by the step scripts that source this file

NODE1_VTEP_IP=192.168.128.0
NODE1_VTEP_MAC=26:12:3f:ba:e9:f5
NODE1_ADDR=10.231.209.113

# has_neigh: node5 knows node1's VTEP MAC for 192.168.128.0 on flannel.1.
has_neigh() {
  in_ns node5 ip neigh show "$NODE1_VTEP_IP" dev flannel.1 2>/dev/null | grep -q "lladdr $NODE1_VTEP_MAC"
}

# has_fdb: node5's flannel.1 sends frames for node1's VTEP MAC to node1's underlay address.
has_fdb() {
  in_ns node5 bridge fdb show dev flannel.1 2>/dev/null | grep -q "^$NODE1_VTEP_MAC dst $NODE1_ADDR "
}

# l3_answers: how many times node5's flanneld answered an L3 miss for node1's VTEP address, by the
# lab's own log (the cluster process writes one line per answer).
l3_answers() {
  cat "$KW_STATE_DIR"/logs/*.log 2>/dev/null | grep -c "flanneld $(kw_ns node5): L3 miss $NODE1_VTEP_IP "
}

# The learner's capture (the lab's state folder, which the lab's reset removes; terminals see
# KW_LAB_STATE too).
CAPTURE="$KW_LAB_STATE/vxlan.pcap"
