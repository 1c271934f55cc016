#!/usr/bin/env bash
# Removes an OCI container inside a node container (run through `nsenter -t <node init> -m -p`):
# `crun delete --force` (kills what still runs, removes its cgroup), then unmounts its overlayfs
# root. Deleting what is gone succeeds. Prints {"removed":true|false}.
# Usage: container-remove.sh RUNTIME STATE_ROOT ID BUNDLE
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "${BASH_SOURCE[0]%/*}/lib.sh"

(( $# == 4 )) || kw_die "usage: container-remove.sh RUNTIME STATE_ROOT ID BUNDLE"
runtime=$1 root=$2 id=$3 bundle=$4
kw_match "$runtime" '^(crun|runc)$' "OCI runtime"
kw_abspath "$root"; kw_abspath "$bundle"
kw_match "$id" "$KW_RE_CONTAINER_ID" "container id"

removed=false
if [[ -d $root/$id ]]; then
  "$runtime" --root "$root" delete --force "$id" >/dev/null 2>&1 || "$runtime" --root "$root" delete --force "$id" >&2 || true
  removed=true
fi
if mountpoint -q "$bundle/rootfs" 2>/dev/null; then umount -l "$bundle/rootfs"; fi
printf '{"removed":%s}\n' "$removed"
