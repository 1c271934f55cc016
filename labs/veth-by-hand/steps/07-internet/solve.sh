#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
set -euo pipefail
mkdir -p "/etc/netns/$CONTAINER"
echo "nameserver 198.51.100.53" >"/etc/netns/$CONTAINER/resolv.conf"
