#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
set -euo pipefail
pause=$(recorded pause)
kill -9 "$pause" 2>/dev/null || true
for _ in $(seq 300); do
  p2=$(pod_pid pause || true); a2=$(pod_pid node || true)
  if [ -n "$p2" ] && [ "$p2" != "$pause" ] && [ -n "$a2" ] && same_ns "$p2" "$a2" uts; then exit 0; fi
  sleep 0.1
done
echo "the kubelet did not rebuild the sandbox within about 30 s" >&2
exit 1
