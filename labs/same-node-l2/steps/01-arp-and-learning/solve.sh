#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
set -euo pipefail
in_ns default/kubia-rpr99 ping -c 2 -i 0.2 -W 2 "$B_IP" >/dev/null
