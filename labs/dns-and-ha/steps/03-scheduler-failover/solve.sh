#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
set -euo pipefail
# What `kill -9 $(pgrep -f "identity $leader")` does, then the wait for the standby.
kill_leader kube-scheduler
await_takeover kube-scheduler
