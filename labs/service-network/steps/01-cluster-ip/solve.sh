#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
set -euo pipefail
# One request only: the next step's check needs more endpoints than one request can reach.
in_ns default/tools curl -s -m 5 "$CLUSTER_IP:8080" >/dev/null
