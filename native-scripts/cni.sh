#!/usr/bin/env bash
# Runs real CNI plugins the way a container runtime does, from inside the node's namespace:
# ADD first sets up the pod's loopback (loopback plugin), then the network of CONF (bridge +
# host-local for cbr0); its result (IPs, MACs) is printed as one JSON line. A failed ADD is
# cleaned with DEL and retried once (a kill -9 mid-ADD may have left an IPAM reservation behind).
# DEL of what is gone succeeds. Usage: cni.sh ADD|DEL NODE_NS POD_NS CONTAINER_ID IFNAME PLUGIN CONF [CNI_ARGS]
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "${BASH_SOURCE[0]%/*}/lib.sh"

(( $# == 7 || $# == 8 )) || kw_die "usage: cni.sh ADD|DEL NODE_NS POD_NS CONTAINER_ID IFNAME PLUGIN CONF [CNI_ARGS]"
cmd=$1 node_ns=$2 pod_ns=$3 id=$4 ifname=$5 plugin=$6 conf=$7 args=${8:-}
kw_match "$cmd" '^(ADD|DEL)$' "CNI command"
kw_netns "$node_ns"; kw_netns "$pod_ns"; kw_match "$id" "$KW_RE_CONTAINER_ID" "container id"
kw_ifname "$ifname"; kw_match "$plugin" '^[a-z0-9-]{1,32}$' "plugin name"; kw_abspath "$conf"
[[ -z $args ]] || kw_match "$args" '^[A-Za-z0-9_]+=[A-Za-z0-9.:_/-]*(;[A-Za-z0-9_]+=[A-Za-z0-9.:_/-]*)*$' "CNI_ARGS"
cni_path=${KUBEWIRE_CNI_PATH:-/usr/lib/cni}
kw_abspath "$cni_path"
[[ -x $cni_path/$plugin ]] || kw_die "CNI plugin $cni_path/$plugin not found (install containernetworking-plugins)"
[[ -f $conf ]] || kw_die "CNI config $conf not found"
kw_need_netns "$node_ns"

# nsenter --net only switches the network namespace (no private mount namespace and /sys remount as
# `ip netns exec` makes), which is all a plugin needs: it works through netlink and /proc/sys/net,
# and both follow the caller's network namespace. (Few processes per call: this runs once per pod.)
run_plugin() { # command plugin config-file ifname
  CNI_COMMAND="$1" CNI_CONTAINERID="$id" CNI_NETNS="/var/run/netns/$pod_ns" CNI_IFNAME="$4" \
    CNI_PATH="$cni_path" CNI_ARGS="$args" nsenter --net="/var/run/netns/$node_ns" -- "$cni_path/$2" <"$3"
}

if [[ $cmd == DEL ]]; then
  # DEL must succeed when the pod's namespace is already gone (the spec says so); the plugin
  # still releases the IPAM reservation held for this container id.
  if ! out=$(run_plugin DEL "$plugin" "$conf" "$ifname" 2>&1); then
    kw_die "CNI DEL failed: $out"
  fi
  printf '{"deleted":true}\n'
  exit 0
fi

kw_need_netns "$pod_ns"

# Values read from our own config (written by kubewire), checked like arguments.
conf_text=$(<"$conf")
conf_value() { # key
  local re="\"$1\": *\"([^\"]*)\""
  if [[ $conf_text =~ $re ]]; then printf '%s' "${BASH_REMATCH[1]}"; fi
}
data_dir=$(conf_value dataDir)
bridge=$(conf_value bridge)
[[ -z $data_dir ]] || kw_abspath "$data_dir"
[[ -z $bridge ]] || kw_ifname "$bridge"

# host-local refuses a second ADD for a container id it already holds an address for (the
# reservation outlives `down` and a kill -9): release it first, as a runtime's retry would.
# Its files <dataDir>/<network>/<ip> start with the container id.
holds_address() {
  local f first
  for f in "$data_dir"/*/*; do
    [[ -f $f ]] || continue
    read -r first <"$f" || true
    [[ ${first%$'\r'} == "$id" ]] && return 0
  done
  return 1
}
if [[ -n $data_dir && -d $data_dir ]] && holds_address; then
  kw_log "releasing the address $id still holds before ADD"
  run_plugin DEL "$plugin" "$conf" "$ifname" >/dev/null 2>&1 || true
fi

# A bridge whose last port went away has MAC 00:00:00:00:00:00, and the bridge plugin then fails
# to "set the bridge's MAC to itself"; such a portless bridge is the plugin's own, so remove it
# and let the plugin make it again.
drop_orphan_bridge() {
  [[ -n $bridge ]] || return 0
  local line
  line=$(ip -n "$node_ns" -br link show dev "$bridge" 2>/dev/null) || return 0
  [[ $line == *" 00:00:00:00:00:00 "* ]] || return 0
  [[ -z $(ip -n "$node_ns" -br link show master "$bridge" 2>/dev/null) ]] || return 0
  kw_log "removing portless $bridge with a zero MAC"
  ip -n "$node_ns" link delete dev "$bridge"
}

run_plugin ADD loopback /dev/stdin lo >/dev/null <<<'{"cniVersion":"1.0.0","name":"lo","type":"loopback"}'
if ! out=$(run_plugin ADD "$plugin" "$conf" "$ifname" 2>/dev/null); then
  kw_log "ADD failed (${out//$'\n'/}); releasing with DEL and retrying once"
  run_plugin DEL "$plugin" "$conf" "$ifname" >/dev/null 2>&1 || true
  drop_orphan_bridge
  out=$(run_plugin ADD "$plugin" "$conf" "$ifname") || kw_die "CNI ADD failed: ${out//$'\n'/}"
fi
printf '%s\n' "${out//$'\n'/}"
