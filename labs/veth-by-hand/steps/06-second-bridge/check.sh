#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
expect "the container cannot ping 172.17.0.2 behind docker0 (is the default route there?)" \
  ip netns exec "$CONTAINER" ping -c 1 -W 2 172.17.0.2
done_checking
