#!/usr/bin/env bash
# Lab-specific helpers for veth-by-hand (sourced after labs/lib/lab.sh).

# The "container": the newest `sleep infinity` whose network namespace is neither the host's nor
# node5's, i.e. the one started with `unshare --net` in step 1.
find_container_pid() {
  local host_ns node_ns pid ns
  host_ns=$(readlink /proc/1/ns/net)
  node_ns=$(ip netns exec "$(kw_ns node5)" readlink /proc/self/ns/net)
  for pid in $(pgrep -n -x -f 'sleep infinity'; pgrep -x -f 'sleep infinity' | sort -rn); do
    ns=$(readlink "/proc/$pid/ns/net" 2>/dev/null) || continue
    if [ "$ns" != "$host_ns" ] && [ "$ns" != "$node_ns" ]; then
      printf '%s\n' "$pid"
      return 0
    fi
  done
  return 1
}
