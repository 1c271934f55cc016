#!/usr/bin/env bash
# Helpers of the service-network lab (sourced after labs/lib/lab.sh).
# shellcheck disable=SC2034  # the constants are used by the step scripts that source this file

CLUSTER_IP=192.168.199.234
KUBIA_IPS="192.168.131.21 192.168.131.22 192.168.132.72 192.168.132.73 192.168.133.86 192.168.133.87"

# reply_sources NODE ORIG_SRC ORIG_DST DPORT: the reply source of each TCP conntrack entry of NODE
# whose original direction went from ORIG_SRC to ORIG_DST:DPORT, i.e. the address the request was
# really translated to (the second src= of a conntrack line).
reply_sources() {
  ct_list "$1" -p tcp --orig-src "$2" --orig-dst "$3" --dport "$4" 2>/dev/null \
    | awk '{ n = 0; for (i = 1; i <= NF; i++) if ($i ~ /^src=/) { n++; if (n == 2) print substr($i, 5) } }'
}

# is_kubia_ip IP: one of the six endpoints of the Service?
is_kubia_ip() {
  case " $KUBIA_IPS " in *" $1 "*) return 0 ;; esac
  return 1
}

# svc_rules NODE: the rules of the kubia Service's KUBE-SVC chain on NODE, as iptables -S prints them.
svc_rules() {
  in_ns "$1" iptables -t nat -S "$SVC_CHAIN" 2>/dev/null | grep '^-A '
}
