#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
set -euo pipefail
# The kubelet may still be starting the app right after up: wait for both processes.
for _ in $(seq 300); do
  pause=$(pod_pid pause) && app=$(pod_pid node) && break
  sleep 0.1
done
echo "$pause" >"$KW_LAB_STATE/pause.pid"
echo "$app" >"$KW_LAB_STATE/app.pid"
