#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
set -euo pipefail
app=$(recorded app)
# kubia (the app) is its container's pid 1 and has no TERM handler: the kernel ignores SIGTERM
# there, so only SIGKILL ends it (what `crictl stop` falls back to after its grace period).
kill -KILL "$app" 2>/dev/null || true
# Wait on the condition: a new app process and the restart reported.
for _ in $(seq 300); do
  new=$(pod_pid node || true)
  if [ -n "$new" ] && [ "$new" != "$app" ] && [ "$(restarts)" -ge 1 ] 2>/dev/null; then exit 0; fi
  sleep 0.1
done
echo "the kubelet did not restart the app within about 30 s" >&2
exit 1
