#!/usr/bin/env bash
# Removes lab network namespaces: kills every process still inside, deletes the namespace (its
# links go with it) and its /etc/netns files. Deleting what is gone succeeds. Usage: netns-down.sh NS...
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "${BASH_SOURCE[0]%/*}/lib.sh"

(( $# > 0 )) || kw_die "usage: netns-down.sh NS..."
for ns in "$@"; do kw_netns "$ns"; done

removed=()
for ns in "$@"; do
  if kw_netns_exists "$ns"; then
    mapfile -t pids < <(ip netns pids "$ns" 2>/dev/null || true)
    if (( ${#pids[@]} > 0 )); then
      kill -KILL "${pids[@]}" 2>/dev/null || true
    fi
    ip netns delete "$ns" 2>/dev/null || { kw_netns_exists "$ns" && ip netns delete "$ns"; }
    removed+=("$ns")
  fi
  rm -rf -- "/etc/netns/$ns"
  rm -f -- "$KW_MARK_DIR/$ns"
done
printf '{"removed":%s}\n' "$(kw_json_list "${removed[@]}")"
