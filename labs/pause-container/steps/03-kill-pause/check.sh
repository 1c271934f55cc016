#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
pause=$(recorded pause)
p2=$(pod_pid pause || true); a2=$(pod_pid node || true)
if [ -z "$p2" ] || [ "$p2" = "$pause" ]; then
  fail "the pause process $pause recorded in step 1 still holds the pod; kill -9 it"
elif [ -z "$a2" ]; then
  fail "the app has not been started in the new sandbox yet"
else
  for k in uts ipc; do same_ns "$p2" "$a2" "$k" || fail "the app ($a2) is not in the new pause's $k namespace"; done
  kw_api GET '/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3Dkubia-24hmb' 2>/dev/null | grep -q '"reason":"SandboxChanged"' \
    || fail "no SandboxChanged event for kubia-24hmb"
fi
done_checking
