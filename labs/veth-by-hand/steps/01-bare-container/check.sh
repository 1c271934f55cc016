#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
if ! pid=$(find_container_pid); then
  fail "no 'sleep infinity' process of this lab in a network namespace of its own was found; in the lab's node5 terminal run: unshare --net sleep infinity &"
else
  links=$(nsenter --target "$pid" --net ip -o link show | wc -l)
  [ "$links" -ge 1 ] || fail "cannot read the container's interfaces"
fi
done_checking
