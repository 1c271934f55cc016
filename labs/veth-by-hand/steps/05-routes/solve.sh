#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
set -euo pipefail
ip netns exec "$CONTAINER" ip route replace default via 192.168.132.1
ip netns exec "$CONTAINER" ip route replace 192.168.128.0/18 via 192.168.132.1
