#!/usr/bin/env bash
# Stops processes kubewire started, each named by PID:STARTTIME so that a pid reused by an unrelated
# process is never signalled. SIGTERM, then SIGKILL for those still alive after ~1 s. A process
# already gone counts as stopped.
# With --all-in NS it also kills every process inside lab namespace NS except the --except PIDs:
# strays a crashed `up` started but never recorded (a second pause, a duplicate container).
# Usage: proc-stop.sh [--all-in NS [--except PID]...] [PID:STARTTIME]...
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "${BASH_SOURCE[0]%/*}/lib.sh"

all_in='' keep=()
if [[ ${1:-} == --all-in ]]; then
  kw_netns "${2:-}"; all_in=$2; shift 2
  while [[ ${1:-} == --except ]]; do kw_uint "${2:-}" 1 4194304 "pid"; keep+=("$2"); shift 2; done
fi
for p in "$@"; do kw_match "$p" '^[0-9]{1,7}:[0-9]{1,20}$' "PID:STARTTIME"; done

strays=()
if [[ -n $all_in ]] && kw_netns_exists "$all_in"; then
  while read -r pid; do
    [[ -n $pid ]] || continue
    skip=0
    for k in "${keep[@]}"; do [[ $k == "$pid" ]] && skip=1; done
    (( skip )) || strays+=("$pid")
  done < <(ip netns pids "$all_in" 2>/dev/null || true)
  (( ${#strays[@]} == 0 )) || kill -KILL "${strays[@]}" 2>/dev/null || true
fi

start_time() { # pid -> starttime, or nothing when the process is gone (or a zombie)
  local stat fields
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
  read -ra fields <<<"${stat##*) }"
  [[ ${fields[0]} == [ZX] ]] && return 0
  printf '%s' "${fields[19]}"
}

ours() { [[ $(start_time "${1%%:*}") == "${1##*:}" ]]; }

signalled=()
for p in "$@"; do
  if ours "$p"; then kill -TERM "${p%%:*}" 2>/dev/null && signalled+=("${p%%:*}"); fi
done
killed=()
for _ in {1..20}; do
  alive=0
  for p in "$@"; do ours "$p" && alive=1; done
  (( alive )) || break
  sleep 0.05
done
for p in "$@"; do
  if ours "$p"; then kill -KILL "${p%%:*}" 2>/dev/null && killed+=("${p%%:*}"); fi
done
printf '{"signalled":%s,"killed":%s,"strays":%s}\n' "$(kw_json_list "${signalled[@]}")" \
  "$(kw_json_list "${killed[@]}")" "$(kw_json_list "${strays[@]}")"
