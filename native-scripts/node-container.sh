#!/usr/bin/env bash
# Starts a node as a container: its init (native/node-init) in the node's network namespace with
# its own mount, PID, UTS, IPC and cgroup namespaces, hostname = node name, /proc of its own, in a
# cgroup parent <prefix>kubewire/<node> sized by the node's allocatable. On hybrid cgroups
# (v1 controllers + an empty v2 at /sys/fs/cgroup/unified) the node's mount namespace hides the
# unified mount, which is what crun needs to run in v1 mode. Mount events of the host propagate
# into the node (slave), so the pod namespaces `ip netns add` makes later are visible there; the
# node's own mounts (container root filesystems) stay inside and vanish with it.
# Idempotent: a node whose recorded init still runs is reported as is.
# BIN_DIR (the node's crictl/docker) is bind-mounted on the node's /usr/local/sbin, so they are
# on its PATH and nowhere else.
# Usage: node-container.sh PREFIX NODE NETNS INIT EXITDIR MEMORY_BYTES CPU_MILLI PIDS BIN_DIR
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "${BASH_SOURCE[0]%/*}/lib.sh"

(( $# == 9 )) || kw_die "usage: node-container.sh PREFIX NODE NETNS INIT EXITDIR MEMORY_BYTES CPU_MILLI PIDS BIN_DIR"
prefix=$1 node=$2 ns=$3 init=$4 exitdir=$5 mem=$6 cpu=$7 pids=$8 bindir=$9
kw_prefix "$prefix"
kw_hostname "$node"; kw_maxlen "$node" 63 "node name"
kw_netns "$ns"; kw_abspath "$init"; kw_abspath "$exitdir"; kw_abspath "$bindir"
[[ -d $bindir ]] || kw_die "node tools folder $bindir does not exist"
kw_match "$mem" '^[0-9]{1,15}$' "memory bytes"
kw_uint "$cpu" 0 1000000 "cpu millicores"
kw_uint "$pids" 0 4194304 "pids"
[[ -x $init ]] || kw_die "node init $init is not executable"
kw_need_netns "$ns"

readonly NODE_MARKS=/run/kubewire/nodes
mark=$NODE_MARKS/$prefix$node
cg=${prefix}kubewire/$node

start_time() { local stat fields; read -r stat <"/proc/$1/stat" || return 1; read -ra fields <<<"${stat##*) }"; printf '%s' "${fields[19]}"; }
report() { printf '{"pid":%d,"startTime":%s,"cgroup":"%s","created":%s}\n' "$1" "$2" "/$cg" "$3"; }

if [[ -f $mark ]]; then
  read -r old_pid old_start _ <"$mark" || true  # the third field is the prefix
  if [[ ${old_pid:-} =~ ^[0-9]+$ ]] && [[ "$(start_time "$old_pid" 2>/dev/null)" == "${old_start:-}" ]]; then
    report "$old_pid" "$old_start" false
    exit 0
  fi
fi

# The cgroup parent, in every v1 hierarchy (crun puts pods under it in each) or in the v2 tree.
procs_files=()
if [[ -f /sys/fs/cgroup/cgroup.controllers ]]; then
  dir=/sys/fs/cgroup/${prefix}kubewire
  mkdir -p "$dir/$node"
  for c in cpu memory pids; do echo "+$c" >"/sys/fs/cgroup/cgroup.subtree_control" 2>/dev/null || true; echo "+$c" >"$dir/cgroup.subtree_control" 2>/dev/null || true; echo "+$c" >"$dir/$node/cgroup.subtree_control" 2>/dev/null || true; done
  (( mem == 0 )) || echo "$mem" >"$dir/$node/memory.max"
  (( cpu == 0 )) || echo "$(( cpu * 100 )) 100000" >"$dir/$node/cpu.max"
  (( pids == 0 )) || echo "$pids" >"$dir/$node/pids.max"
  procs_files+=("$dir/$node/cgroup.procs")
else
  for h in /sys/fs/cgroup/*; do
    [[ -d $h && $h != /sys/fs/cgroup/unified && -f $h/cgroup.procs ]] || continue
    mkdir -p "$h/${prefix}kubewire/$node"
    if [[ -f $h/cpuset.cpus ]]; then
      for d in "$h/${prefix}kubewire" "$h/${prefix}kubewire/$node"; do
        [[ -n "$(<"$d/cpuset.cpus")" ]] || cat "$h/cpuset.cpus" >"$d/cpuset.cpus"
        [[ -n "$(<"$d/cpuset.mems")" ]] || cat "$h/cpuset.mems" >"$d/cpuset.mems"
      done
    fi
    [[ -f $h/memory.limit_in_bytes ]] && (( mem > 0 )) && echo "$mem" >"$h/$cg/memory.limit_in_bytes"
    [[ -f $h/memory.use_hierarchy ]] && { echo 1 >"$h/$cg/memory.use_hierarchy" 2>/dev/null || true; }
    if [[ -f $h/cpu.cfs_quota_us ]] && (( cpu > 0 )); then echo 100000 >"$h/$cg/cpu.cfs_period_us"; echo "$(( cpu * 100 ))" >"$h/$cg/cpu.cfs_quota_us"; fi
    [[ -f $h/pids.max ]] && (( pids > 0 )) && echo "$pids" >"$h/$cg/pids.max"
    procs_files+=("$h/$cg/cgroup.procs")
  done
fi

hide_unified=0
[[ -f /sys/fs/cgroup/cgroup.controllers ]] || { mountpoint -q /sys/fs/cgroup/unified 2>/dev/null && hide_unified=1; }

# The launcher joins the cgroup parent first, so the node's cgroup namespace is rooted there.
# Fixed program texts; every value arrives as a positional parameter.
# shellcheck disable=SC2016
inner='if [ "$1" = 1 ]; then umount -l /sys/fs/cgroup/unified; fi; mount --bind "$5" /usr/local/sbin; hostname "$2"; exec "$3" "$4"'
# shellcheck disable=SC2016
outer='for f in $KW_PROCS; do echo $$ >"$f"; done; exec "$@"'
KW_PROCS="${procs_files[*]}" setsid bash -c "$outer" launcher \
  nsenter "--net=/run/netns/$ns" -- \
  unshare --mount --pid --uts --ipc --cgroup --fork --propagation slave --mount-proc -- \
  sh -c "$inner" node-launch "$hide_unified" "$node" "$init" "$exitdir" "$bindir" \
  </dev/null >/dev/null 2>&1 &
launcher=$!

# The init is unshare's child once the exec chain has reached the program itself.
pid=''
for _ in {1..400}; do
  children=()
  { read -ra children <"/proc/$launcher/task/$launcher/children"; } 2>/dev/null || true
  for child in "${children[@]}"; do
    [[ /proc/$child/exe -ef $init ]] && pid=$child
  done
  [[ -n $pid ]] && break
  [[ -e /proc/$launcher ]] || kw_die "node container $node exited at once"
  sleep 0.005
done
[[ -n $pid ]] || kw_die "node container $node did not start $init in time"
st=$(start_time "$pid")
mkdir -p "$NODE_MARKS"
printf '%s %s %s\n' "$pid" "$st" "$prefix" >"$mark.tmp"
mv "$mark.tmp" "$mark"
report "$pid" "$st" true
