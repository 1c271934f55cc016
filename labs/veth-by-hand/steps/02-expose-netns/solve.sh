#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
set -euo pipefail
pid=$(find_container_pid)
mkdir -p /var/run/netns
ln -sfn "/proc/$pid/ns/net" "/var/run/netns/$CONTAINER"
