#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
pause=$(recorded pause); app=$(recorded app)
if [ -z "$pause" ] || [ -z "$app" ]; then
  fail "write the pause PID to \$KW_LAB_STATE/pause.pid and the app's to \$KW_LAB_STATE/app.pid"
else
  [ "$pause" = "$(pod_pid pause)" ] || fail "$pause is not kubia-24hmb's pause process"
  [ "$app" = "$(pod_pid node)" ] || fail "$app is not kubia-24hmb's app process"
  for k in net uts ipc; do same_ns "$pause" "$app" "$k" || fail "the recorded processes do not share their $k namespace"; done
fi
done_checking
