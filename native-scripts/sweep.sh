#!/usr/bin/env bash
# Removes every namespace a lab made without needing its recorded state (so it works after
# kill -9): those whose mark in /run/kubewire/netns says this exact prefix. Kills the processes
# inside, deletes the namespaces (their links go with them), their /etc/netns folders and marks,
# also marks whose namespace is already gone. A look-alike name without the mark (another tool's
# kw-x, another lab's kw-t1a2b3c-node1 when sweeping kw-) is never touched. Usage: sweep.sh PREFIX
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "${BASH_SOURCE[0]%/*}/lib.sh"

(( $# == 1 )) || kw_die "usage: sweep.sh PREFIX"
prefix=$1
kw_prefix "$prefix"
[[ $prefix == *- ]] || kw_die "lab prefix must end with '-': '$prefix'"

# Marks holding exactly this prefix, found by one grep (the prefix has no glob or regex syntax).
marked=()
if [[ -d $KW_MARK_DIR ]]; then
  while IFS= read -r -d '' path; do
    ns=${path##*/}
    [[ $ns == "$prefix"?* && $ns =~ $KW_RE_NETNS ]] && marked+=("$ns")
  done < <(find "$KW_MARK_DIR" -maxdepth 1 -type f -name "$prefix?*" -print0 | xargs -0 -r grep -lxFZ -- "$prefix" || true)
fi
KW_REMOVED=() KW_REMOVED_FILES=()
(( ${#marked[@]} == 0 )) || kw_netns_remove "${marked[@]}"
printf '{"namespaces":%s,"files":%s}\n' "$(kw_json_list "${KW_REMOVED[@]}")" "$(kw_json_list "${KW_REMOVED_FILES[@]}")"
