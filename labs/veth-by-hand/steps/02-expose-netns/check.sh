#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
if ! ip netns list | awk '{print $1}' | grep -qx "$CONTAINER"; then
  fail "ip netns list does not show $CONTAINER; link /proc/<pid>/ns/net to /var/run/netns/$CONTAINER"
elif pid=$(find_container_pid); then
  want=$(readlink "/proc/$pid/ns/net")
  got=$(ip netns exec "$CONTAINER" readlink /proc/self/ns/net)
  [ "$want" = "$got" ] || fail "$CONTAINER is not the container's namespace (it is $got, the container's is $want)"
else
  fail "the container process from step 1 is gone; start it again"
fi
done_checking
