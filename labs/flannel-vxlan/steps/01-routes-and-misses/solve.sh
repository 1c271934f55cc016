#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
set -euo pipefail
# The first echo may be lost while flanneld answers (app_solicit queues only a few packets):
# ping until one comes back.
for _ in $(seq 20); do
  in_ns default/tools ping -c 1 -W 1 192.168.128.10 >/dev/null 2>&1 && exit 0
done
echo "the web pod on node1 never answered" >&2
exit 1
