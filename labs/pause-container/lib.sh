#!/usr/bin/env bash
# Helpers of the pause-container lab (sourced after labs/lib/lab.sh).
# shellcheck disable=SC2034  # the constants are used by the step scripts that source this file

# pod_pid COMM: the process named COMM (pause, node) in kubia-24hmb's network namespace and in
# this lab's cgroup; no other pod's look-alike can match.
pod_pid() {
  local p
  for p in $(ip netns pids "$POD_NS" 2>/dev/null); do
    [ "$(cat "/proc/$p/comm" 2>/dev/null)" = "$1" ] && kw_marked "$p" && { echo "$p"; return 0; }
  done
  return 1
}

# recorded NAME: a PID the learner wrote down in step 1 ($KW_LAB_STATE/NAME.pid).
recorded() {
  cat "$KW_LAB_STATE/$1.pid" 2>/dev/null
}

# same_ns A B KIND: processes A and B share namespace KIND (net, uts, ipc).
same_ns() {
  [ "$(readlink "/proc/$1/ns/$3" 2>/dev/null)" = "$(readlink "/proc/$2/ns/$3" 2>/dev/null)" ] && [ -e "/proc/$1/ns/$3" ]
}

# restarts: the restart count kubia-24hmb's container reports.
restarts() {
  kw_api GET /api/v1/namespaces/default/pods/kubia-24hmb 2>/dev/null | grep -o '"restartCount":[0-9]*' | head -1 | cut -d: -f2
}
