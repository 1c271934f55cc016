#!/usr/bin/env bash
# Removes every namespace a lab made without needing its recorded state (so it works after
# kill -9): those whose mark in /run/kubewire/netns says this exact prefix. Kills the processes
# inside, deletes the namespaces (their links go with them), their /etc/netns folders and marks.
# A look-alike name without the mark (another tool's kw-x, another lab's kw-t1a2b3c-node1 when
# sweeping kw-) is never touched. Usage: sweep.sh PREFIX
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "${BASH_SOURCE[0]%/*}/lib.sh"

(( $# == 1 )) || kw_die "usage: sweep.sh PREFIX"
prefix=$1
kw_prefix "$prefix"
[[ $prefix == *- ]] || kw_die "lab prefix must end with '-': '$prefix'"

ours() { # namespace name
  [[ $1 == "$prefix"?* && -f $KW_MARK_DIR/$1 && "$(<"$KW_MARK_DIR/$1")" == "$prefix" ]]
}

namespaces=() files=()
while read -r name _; do
  [[ -n $name ]] && ours "$name" && namespaces+=("$name")
done < <(ip netns list)
for ns in "${namespaces[@]}"; do
  mapfile -t pids < <(ip netns pids "$ns" 2>/dev/null || true)
  (( ${#pids[@]} == 0 )) || kill -KILL "${pids[@]}" 2>/dev/null || true
done
for ns in "${namespaces[@]}"; do
  ip netns delete "$ns" 2>/dev/null || kw_log "could not delete namespace $ns"
done
# Marks whose namespace is gone (deleted above, or by hand) lead to the /etc/netns leftovers.
shopt -s nullglob
for mark in "$KW_MARK_DIR/$prefix"*; do
  ns=${mark##*/}
  if ! [[ $ns =~ $KW_RE_NETNS ]] || ! ours "$ns"; then continue; fi
  kw_netns_exists "$ns" && continue
  if [[ -d /etc/netns/$ns ]]; then rm -rf -- "/etc/netns/$ns"; files+=("/etc/netns/$ns"); fi
  rm -f -- "$mark"
done
printf '{"namespaces":%s,"files":%s}\n' "$(kw_json_list "${namespaces[@]}")" "$(kw_json_list "${files[@]}")"
