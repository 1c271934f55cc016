#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
set -euo pipefail
printf '%s\n%s' "$CONTAINER" eth0 >"$KW_STATE_DIR/nodes/node5/cni/networks/cbr0/192.168.132.150"
