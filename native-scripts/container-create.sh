#!/usr/bin/env bash
# Creates an OCI container inside a node container (run through `nsenter -t <node init> -m -p`):
# mounts the bundle's root filesystem as overlayfs (the image's layers read-only below, the
# container's upper/work dirs above) in the node's own mount namespace, then `crun create` (or
# runc). Its stdout/stderr are handed to the runtime, so they become the container's own; this
# script's own complaints go to fd 3. Idempotent for the mount; create fails if the id exists.
# With CONSOLE_SOCKET (a container whose spec asks for a terminal: an ephemeral `kubectl debug -it`)
# the runtime sends the pty's master there (native/exec-console.c holds it).
# Usage: container-create.sh RUNTIME STATE_ROOT ID BUNDLE LOWERDIR[:LOWERDIR...] [CONSOLE_SOCKET]
set -euo pipefail
exec 4>&2 2>&3
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "${BASH_SOURCE[0]%/*}/lib.sh"

(( $# == 5 || $# == 6 )) || kw_die "usage: container-create.sh RUNTIME STATE_ROOT ID BUNDLE LOWERDIRS [CONSOLE_SOCKET]"
runtime=$1 root=$2 id=$3 bundle=$4 lowers=$5 console=()
if (( $# == 6 )); then kw_abspath "$6"; console=(--console-socket "$6"); fi
kw_match "$runtime" '^(crun|runc)$' "OCI runtime"
kw_abspath "$root"; kw_abspath "$bundle"
kw_match "$id" "$KW_RE_CONTAINER_ID" "container id"
kw_maxlen "$lowers" 3500 "lowerdir list"
IFS=: read -ra dirs <<<"$lowers"
(( ${#dirs[@]} > 0 )) || kw_die "no lowerdir"
for d in "${dirs[@]}"; do kw_abspath "$d"; [[ -d $d ]] || kw_die "layer $d is not a folder"; done
[[ -f $bundle/config.json ]] || kw_die "no config.json in $bundle"

# The runtime makes these folders before it calls; mkdir(1) only when it did not.
[[ -d $bundle/rootfs && -d $bundle/upper && -d $bundle/work ]] || mkdir -p "$bundle/rootfs" "$bundle/upper" "$bundle/work"
# Mounted already? The mount table of this (the node's) mount namespace, read by bash itself
# ($(<file) forks nothing; paths passed kw_abspath, so no spaces or escapes), instead of a
# mountpoint(1) process.
mounts=$(</proc/self/mountinfo)
if [[ $mounts != *" $bundle/rootfs "* ]]; then
  mount -t overlay overlay -o "lowerdir=$lowers,upperdir=$bundle/upper,workdir=$bundle/work" "$bundle/rootfs"
fi
exec 2>&4 4>&- 3>&-
exec "$runtime" --root "$root" --log "$bundle/runtime.log" create --bundle "$bundle" --pid-file "$bundle/pid" "${console[@]}" "$id"
