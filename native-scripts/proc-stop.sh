#!/usr/bin/env bash
# Stops processes kubewire started, each named by PID:STARTTIME so that a pid reused by an unrelated
# process is never signalled. SIGTERM, then SIGKILL for those still alive after ~1 s. A process
# already gone counts as stopped. Usage: proc-stop.sh PID:STARTTIME...
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "${BASH_SOURCE[0]%/*}/lib.sh"

for p in "$@"; do kw_match "$p" '^[0-9]{1,7}:[0-9]{1,20}$' "PID:STARTTIME"; done

start_time() { # pid -> starttime, or nothing when the process is gone
  local stat fields
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
  read -ra fields <<<"${stat##*) }"
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
printf '{"signalled":%s,"killed":%s}\n' "$(kw_json_list "${signalled[@]}")" "$(kw_json_list "${killed[@]}")"
