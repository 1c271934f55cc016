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

# to_host PID: the host's pid of one of the pod's processes, given as the host sees it or as the
# node container does (a node terminal's `docker inspect -f '{{.State.Pid}}'`, its ps: the second
# NSpid of /proc/<pid>/status); fails if PID is none of the pod's processes.
to_host() {
  local p nspid
  for p in $(ip netns pids "$POD_NS" 2>/dev/null); do
    [ "$p" = "$1" ] && { echo "$p"; return 0; }
    nspid=$(awk '$1 == "NSpid:" { print $3 }' "/proc/$p/status" 2>/dev/null)
    [ -n "$nspid" ] && [ "$nspid" = "$1" ] && { echo "$p"; return 0; }
  done
  return 1
}

# recorded NAME: a PID the learner wrote down in step 1 ($KW_LAB_STATE/NAME.pid), as the host's pid
# when it still is one of the pod's processes (else as written).
recorded() {
  local r
  r=$(cat "$KW_LAB_STATE/$1.pid" 2>/dev/null) || return 0
  to_host "$r" || echo "$r"
}

# same_ns A B KIND: processes A and B share namespace KIND (net, uts, ipc).
same_ns() {
  [ "$(readlink "/proc/$1/ns/$3" 2>/dev/null)" = "$(readlink "/proc/$2/ns/$3" 2>/dev/null)" ] && [ -e "/proc/$1/ns/$3" ]
}

# restarts: the restart count kubia-24hmb's container reports.
restarts() {
  kw_api GET /api/v1/namespaces/default/pods/kubia-24hmb 2>/dev/null | grep -o '"restartCount":[0-9]*' | head -1 | cut -d: -f2
}
