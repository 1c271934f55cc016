#!/usr/bin/env bash
# Removes lab network namespaces: kills every process still inside, deletes the namespace (its
# links go with it), its /etc/netns files and its mark, in one batch for all of them (lib.sh's
# kw_netns_remove). Deleting what is gone succeeds. Usage: netns-down.sh NS...
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "${BASH_SOURCE[0]%/*}/lib.sh"

(( $# > 0 )) || kw_die "usage: netns-down.sh NS..."
for ns in "$@"; do kw_netns "$ns"; done
kw_netns_remove "$@"
printf '{"removed":%s}\n' "$(kw_json_list "${KW_REMOVED[@]}")"
