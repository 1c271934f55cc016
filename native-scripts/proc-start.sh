#!/usr/bin/env bash
# Starts one detached process (own session, stdio to LOG) inside a lab namespace and prints its pid
# and kernel start time, which together identify it for a later stop even after pid reuse.
#   --sandbox HOSTNAME  a pod sandbox's pause: new UTS and IPC namespaces, hostname = pod name
#   --join PID          a container: joins the UTS and IPC namespaces of the sandbox's pause PID
#   --env NAME=VALUE    environment for the process (repeatable)
# `ip netns exec` is the entry so that /etc/netns/NS (resolv.conf, hosts) applies, and every step
# execs the next, so the pid printed is the process's own. The process joins the cgroup of the lab
# that marked NS (lib.sh's kw_cgroup_join) from its start: the mark reset finds it by.
# Usage: proc-start.sh NS LOG [--sandbox HOSTNAME | --join PID] [--env K=V]... -- ARGV...
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "${BASH_SOURCE[0]%/*}/lib.sh"

(( $# >= 4 )) || kw_die "usage: proc-start.sh NS LOG [--sandbox HOSTNAME | --join PID] [--env K=V]... -- ARGV..."
ns=$1 log=$2
shift 2
kw_netns "$ns"; kw_abspath "$log"
wrap=()
envs=()
sandbox=''
while (( $# > 0 )) && [[ $1 != -- ]]; do
  case $1 in
    --sandbox)
      kw_hostname "${2:-}"
      # Fixed program text; the hostname and the command arrive as positional parameters.
      # shellcheck disable=SC2016
      wrap=(unshare --uts --ipc -- bash -c 'hostname "$1" && shift && exec "$@"' sandbox "$2")
      sandbox=$2
      shift 2 ;;
    --join)
      kw_uint "${2:-}" 1 4194304 "pid"
      [[ -d /proc/$2 ]] || kw_die "sandbox process $2 is not running"
      wrap=(nsenter -t "$2" -u -i --)
      shift 2 ;;
    --env)
      kw_match "${2:-}" '^[A-Za-z_][A-Za-z0-9_]*=.*$' "environment entry"
      [[ $2 != *$'\n'* ]] || kw_die "environment entry contains a newline"
      envs+=("$2"); shift 2 ;;
    *) kw_die "unknown option '$1'" ;;
  esac
done
[[ ${1:-} == -- ]] || kw_die "missing -- before the command"
shift
(( $# > 0 )) || kw_die "missing command"
kw_maxlen "$1" 4000 "program"; kw_match "$1" '^[A-Za-z0-9_./+-]+$' "program"
[[ -d ${log%/*} ]] || kw_die "log folder ${log%/*} does not exist"
kw_need_netns "$ns"
prefix=$(kw_netns_prefix "$ns")
[[ -n $prefix ]] || kw_die "namespace $ns carries no lab mark ($KW_MARK_DIR/$ns)"

cmd=(ip netns exec "$ns" "${wrap[@]}")
(( ${#envs[@]} == 0 )) || cmd+=(env "${envs[@]}")
cmd+=("$@")
# This script joins the lab's cgroup before it forks, so the child is marked from its first
# instruction (no window in which a reset could miss it).
kw_cgroup_join "$prefix" procs "$$"
setsid "${cmd[@]}" </dev/null >>"$log" 2>&1 &
pid=$!
if [[ -n $sandbox ]]; then
  # Containers join the sandbox by its pid: return only once it runs the program itself, that
  # is after unshare and hostname, or a container could join the host's UTS/IPC namespaces.
  want=$(command -v -- "$1")
  for _ in {1..400}; do
    [[ /proc/$pid/exe -ef $want ]] && break # same file: the exec chain has reached the program
    [[ -e /proc/$pid ]] || kw_die "sandbox process exited at once (see $log)"
    sleep 0.005
  done
  [[ /proc/$pid/exe -ef $want ]] || kw_die "sandbox process did not start $want in time"
fi
read -r stat <"/proc/$pid/stat"
read -ra fields <<<"${stat##*) }"
printf '{"pid":%d,"startTime":%s}\n' "$pid" "${fields[19]}"
