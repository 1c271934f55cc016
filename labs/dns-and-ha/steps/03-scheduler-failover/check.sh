#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
# A kube-scheduler that held the Lease was killed, and the other replica holds it now.
check_failover kube-scheduler
done_checking
