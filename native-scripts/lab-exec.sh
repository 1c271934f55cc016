#!/usr/bin/env bash
# Runs a command as a process of a lab: joins the lab's cgroup leaf (the mark `kubewire reset`
# finds even after a kill -9 of whoever started it; runtime/lab/lab-cgroup.ts), then becomes the
# command (exec), so the caller's pid is the command's. Used for the cluster process, terminals,
# guided steps and captures. The lab is named by its prefix, or by one of its namespaces (whose
# mark in /run/kubewire/netns holds the prefix).
# Usage: lab-exec.sh (PREFIX | --netns NS) LEAF -- ARGV...
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "${BASH_SOURCE[0]%/*}/lib.sh"

if [[ ${1:-} == --netns ]]; then
  kw_netns "${2:-}"
  # A namespace no lab marked (a test's hand-built one) has no lab to join: the command runs unmarked.
  prefix=$(kw_netns_prefix "$2")
  shift 2
else
  prefix=${1:-}
  kw_prefix "$prefix"
  shift || true
fi
(( $# >= 3 )) || kw_die "usage: lab-exec.sh (PREFIX | --netns NS) LEAF -- ARGV..."
leaf=$1
[[ $2 == -- ]] || kw_die "missing -- before the command"
shift 2
kw_maxlen "$1" 4000 "program"; kw_match "$1" '^[A-Za-z0-9_./+-]+$' "program"
if [[ -n $prefix ]]; then kw_cgroup_join "$prefix" "$leaf" "$$"; else kw_match "$leaf" "$KW_RE_LEAF" "cgroup leaf"; fi
exec "$@"
