#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
pause=$(recorded pause); app=$(recorded app)
new=$(pod_pid node || true)
if [ -z "$new" ] || [ "$new" = "$app" ]; then
  fail "the app process $app recorded in step 1 is still the pod's app; kill it"
else
  [ "$pause" = "$(pod_pid pause)" ] || fail "the pause process $pause is gone; only the app should have been killed"
  for k in net uts ipc; do same_ns "$pause" "$new" "$k" || fail "the restarted app ($new) is not in pause's $k namespace"; done
  [ "$(restarts)" -ge 1 ] 2>/dev/null || fail "kubia-24hmb's container reports no restart"
fi
done_checking
