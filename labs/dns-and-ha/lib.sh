#!/usr/bin/env bash
# Helpers of the dns-and-ha lab (sourced after labs/lib/lab.sh).

# resolve NAME: the A records the tools pod gets for NAME from the cluster DNS (its resolv.conf),
# sorted, one per line.
resolve() {
  local server
  server=$(awk '$1 == "nameserver" { print $2; exit }' "/etc/netns/$(kw_ns default/tools)/resolv.conf" 2>/dev/null)
  in_ns default/tools dig +short +time=2 +tries=2 ${server:+@"$server"} "$1" A 2>/dev/null | grep -E '^[0-9.]+$' | sort
}

# cluster_ip NAME: the cluster IP of Service NAME in default (empty if absent).
cluster_ip() {
  kw_api GET "/api/v1/namespaces/default/services/$1" 2>/dev/null | grep -o '"clusterIP":"[^"]*"' | head -1 | cut -d'"' -f4
}
