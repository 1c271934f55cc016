#!/usr/bin/env bash
# Helpers for a lab's check.sh and solve.sh. The runner sources this file first and exports:
#   KW_PREFIX  the lab's name prefix (kw- by default), KW_STATE_DIR, KUBEWIRE (the CLI),
#   and every variable of the lab's `vars:` (e.g. CONTAINER=kw-demo).
# A check passes on exit 0; each `FAIL: …` line it prints becomes the learner's feedback.

# kw_ns NAME: the network namespace of a node (node5), a pod (default/kubia-x), or a lab one.
kw_ns() {
  case "$1" in
    */*) printf '%s%s_%s\n' "$KW_PREFIX" "${1%%/*}" "${1#*/}" ;;
    "$KW_PREFIX"*) printf '%s\n' "$1" ;;
    *) printf '%s%s\n' "$KW_PREFIX" "$1" ;;
  esac
}

# in_ns NAME CMD...: run CMD inside NAME's network namespace (no shell string is built).
in_ns() {
  local ns
  ns=$(kw_ns "$1")
  shift
  ip netns exec "$ns" "$@"
}

# ct_list NS ARGS...: `conntrack -L ARGS` in NS. A dump of a busy table can be interrupted (the
# kernel restarts it and conntrack gives up): read it again, up to three times.
ct_list() {
  local ns=$1 out _
  shift
  for _ in 1 2 3; do
    if out=$(in_ns "$ns" conntrack -L "$@" 2>/dev/null); then
      [ -n "$out" ] && printf '%s\n' "$out"
      return 0
    fi
    sleep 0.2
  done
  return 1
}

_kw_failed=0
# fail MESSAGE: report one problem to the learner; the check exits non-zero at the end.
fail() {
  printf 'FAIL: %s\n' "$*"
  _kw_failed=1
}

# expect DESCRIPTION CMD...: CMD must succeed, else DESCRIPTION is reported.
expect() {
  local what=$1
  shift
  if ! "$@" >/dev/null 2>&1; then fail "$what"; fi
}

# expect_not DESCRIPTION CMD...: CMD must fail, else DESCRIPTION is reported.
expect_not() {
  local what=$1
  shift
  if "$@" >/dev/null 2>&1; then fail "$what"; fi
}

# kw_track_pid PID: record a process a solve started outside any lab namespace, so that the lab's
# reset stops it (only while it is still the same process: its start time is recorded too).
kw_track_pid() {
  local start
  start=$(awk '{print $22}' "/proc/$1/stat") || return 1
  printf '%s %s\n' "$1" "$start" >>"$KW_LAB_STATE/pids"
}

# kw_marked PID: is PID a process of this lab? Every process the lab starts (pods, a step's solve,
# a lab terminal and what a learner runs in it) lives in the lab's cgroup, ${KW_PREFIX}kubewire/…
# (runtime/lab/lab-cgroup.ts), and a reset ends all of them: a leftover of an earlier lab, or
# another lab's look-alike, never passes for this lab's.
kw_marked() {
  grep -q ":/${KW_PREFIX}kubewire/" "/proc/$1/cgroup" 2>/dev/null
}

# kw_api METHOD PATH [CONTENT-TYPE BODY]: a request to the lab's apiserver as its admin, with the
# CA and bearer token of the lab's kubeconfig (what kubectl does; the scripts must not need kubectl).
# The token goes through a 0600 header file, never argv.
kw_api() {
  local cfg server ca hdr rc
  # The running cluster names its kubeconfig in the lab's cluster.json (what `kubewire kubeconfig`
  # reads too); reading it here spares a node start per request, which polling loops would pay.
  cfg=$(sed -n 's/.*"kubeconfig":"\([^"]*\)".*/\1/p' "$KW_STATE_DIR/cluster.json" 2>/dev/null)
  if [ -z "$cfg" ] || [ ! -f "$cfg" ]; then
    # The lab's state folder is <state base>/<lab name>: ask for exactly this lab's kubeconfig.
    cfg=$("$KUBEWIRE" kubeconfig --lab "$(basename "$KW_STATE_DIR")" --state-dir "$(dirname "$KW_STATE_DIR")") || return 1
  fi
  server=$(awk '$1 == "server:" { print $2; exit }' "$cfg")
  ca=$(mktemp) && hdr=$(mktemp) || return 1
  chmod 600 "$hdr"
  awk '$1 == "certificate-authority-data:" { print $2; exit }' "$cfg" | base64 -d >"$ca"
  printf 'Authorization: Bearer %s\n' "$(awk '$1 == "token:" { print $2; exit }' "$cfg")" >"$hdr"
  if [ $# -ge 4 ]; then
    curl -sS --fail-with-body --cacert "$ca" -H "@$hdr" -X "$1" -H "Content-Type: $3" --data-binary "$4" "$server$2"
  else
    curl -sS --fail-with-body --cacert "$ca" -H "@$hdr" -X "$1" "$server$2"
  fi
  rc=$?
  rm -f "$ca" "$hdr"
  return $rc
}

# done_checking: the check's last line.
done_checking() {
  exit "$_kw_failed"
}
