#!/usr/bin/env bash
# Marks namespace names as a lab's before anything creates them: a guided lab's steps make some
# namespaces by hand (the article's `ln -s /proc/<pid>/ns/net /var/run/netns/<name>`), and the mark
# lets `kubewire reset`'s sweep remove them like the lab's own. Marking twice is the same as once;
# a name already marked for another lab is refused. Usage: netns-claim.sh PREFIX NS...
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "${BASH_SOURCE[0]%/*}/lib.sh"

(( $# >= 2 )) || kw_die "usage: netns-claim.sh PREFIX NS..."
prefix=$1
shift
kw_prefix "$prefix"
for ns in "$@"; do
  kw_netns "$ns"
  [[ $ns == "$prefix"?* ]] || kw_die "namespace $ns does not start with the lab prefix $prefix"
  if [[ -f $KW_MARK_DIR/$ns && "$(<"$KW_MARK_DIR/$ns")" != "$prefix" ]]; then
    kw_die "namespace $ns is marked for another lab"
  fi
done
mkdir -p "$KW_MARK_DIR"
for ns in "$@"; do printf '%s\n' "$prefix" >"$KW_MARK_DIR/$ns"; done
printf '{"claimed":%s}\n' "$(kw_json_list "$@")"
