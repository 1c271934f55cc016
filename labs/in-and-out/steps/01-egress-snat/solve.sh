#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
set -euo pipefail
in_ns default/tools curl -s -m 10 google.com >/dev/null
