#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
# Nothing to do: the routes of step 5 already reach docker0.
exit 0
