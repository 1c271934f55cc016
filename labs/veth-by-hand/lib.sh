#!/usr/bin/env bash
# Lab-specific helpers for veth-by-hand (sourced after labs/lib/lab.sh).

# The "container": the newest `sleep infinity` of this lab (kw_marked: started from a lab
# terminal or a step's solve) whose network namespace is not the host's and has no name yet, or
# has this lab's name for it ($CONTAINER). Pods' sleeping containers (the tools image) live in
# named pod namespaces, so they never match; nor does any process of another or an earlier lab.
find_container_pid() {
  local host_ns pid ns name
  host_ns=$(readlink /proc/1/ns/net)
  for pid in $(pgrep -x -f 'sleep infinity' | sort -rn); do
    kw_marked "$pid" || continue
    ns=$(readlink "/proc/$pid/ns/net" 2>/dev/null) || continue
    [ "$ns" != "$host_ns" ] || continue
    name=$(ip netns identify "$pid" 2>/dev/null) || continue
    if [ -z "$name" ] || [ "$name" = "$CONTAINER" ]; then
      printf '%s\n' "$pid"
      return 0
    fi
  done
  return 1
}
