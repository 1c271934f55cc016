#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
set -euo pipefail
in_ns internet curl -s -m 20 -H 'Connection: close' 10.231.209.113:32681/ 10.231.209.113:32681/ 10.231.209.113:32681/ >/dev/null
