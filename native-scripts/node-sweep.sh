#!/usr/bin/env bash
# Removes a lab's node containers without needing its recorded state (so it works after kill -9):
# kills each node's init whose mark names this exact prefix (its PID namespace, every pod process
# in it, and its mount namespace with every container root filesystem go with it), then kills
# whatever is left in the lab's cgroup tree <prefix>kubewire and removes that tree in every
# hierarchy. Usage: node-sweep.sh PREFIX
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "${BASH_SOURCE[0]%/*}/lib.sh"

(( $# == 1 )) || kw_die "usage: node-sweep.sh PREFIX"
prefix=$1
kw_prefix "$prefix"
[[ $prefix == *- ]] || kw_die "lab prefix must end with '-': '$prefix'"
readonly NODE_MARKS=/run/kubewire/nodes

start_time() { local stat fields; read -r stat <"/proc/$1/stat" 2>/dev/null || return 1; read -ra fields <<<"${stat##*) }"; printf '%s' "${fields[19]}"; }

nodes=()
shopt -s nullglob
for mark in "$NODE_MARKS/$prefix"*; do
  [[ $mark == *.tmp ]] && { rm -f -- "$mark"; continue; }
  read -r pid st owner <"$mark" || true
  [[ ${owner:-} == "$prefix" ]] || continue
  nodes+=("${mark##*/}")
  if [[ ${pid:-} =~ ^[0-9]+$ ]] && [[ "$(start_time "$pid" || true)" == "${st:-}" ]]; then
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f -- "$mark"
done

# Everything still in the lab's cgroups (a container a crashed run left outside any node).
trees=()
for h in /sys/fs/cgroup/*/"${prefix}kubewire" /sys/fs/cgroup/"${prefix}kubewire"; do
  [[ -d $h ]] && trees+=("$h")
done
for _ in {1..100}; do
  left=0
  for t in "${trees[@]}"; do
    while IFS= read -r f; do
      while read -r p; do
        [[ -n $p ]] || continue
        left=1
        kill -KILL "$p" 2>/dev/null || true
      done <"$f"
    done < <(find "$t" -name cgroup.procs 2>/dev/null)
  done
  (( left == 0 )) && break
  sleep 0.02
done
removed=0
for t in "${trees[@]}"; do
  # Leaves first. A process killed a moment ago can leave cgroup.procs before the kernel unlinks it
  # from its cgroup (rmdir then says EBUSY): retry the pass briefly (2 s) before giving up.
  for _ in {1..100}; do
    while IFS= read -r d; do
      rmdir -- "$d" 2>/dev/null && removed=$((removed + 1))
    done < <(find "$t" -depth -type d 2>/dev/null)
    [[ -d $t ]] || break
    sleep 0.02
  done
  [[ -d $t ]] && kw_log "could not remove cgroup $t"
done
printf '{"nodes":%s,"cgroups":%d}\n' "$(kw_json_list "${nodes[@]}")" "$removed"
