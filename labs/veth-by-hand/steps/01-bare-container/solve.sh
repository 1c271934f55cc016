#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
set -euo pipefail
# Detached, so it outlives this script; its PID is recorded so that `reset` can stop it even
# before step 2 names its namespace.
ip netns exec "$(kw_ns node5)" setsid unshare --net sleep infinity </dev/null >/dev/null 2>&1 &
for _ in 1 2 3 4 5 6 7 8 9 10; do
  if pid=$(find_container_pid); then
    kw_track_pid "$pid"
    exit 0
  fi
  sleep 0.1
done
echo "the container process did not start" >&2
exit 1
