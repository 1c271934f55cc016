#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
set -euo pipefail
rm -f "$CAPTURE" "$KW_LAB_STATE/tcpdump.err"
in_ns node5 timeout 20 tcpdump -Z root -U -ni eth0 -c 4 -w "$CAPTURE" udp port 8472 >/dev/null 2>"$KW_LAB_STATE/tcpdump.err" &
cap=$!
# Wait until tcpdump listens (it says so on stderr), not a fixed time.
for _ in $(seq 200); do grep -q 'listening on' "$KW_LAB_STATE/tcpdump.err" 2>/dev/null && break; sleep 0.05; done
in_ns default/tools ping -c 3 -i 0.2 -W 2 192.168.128.10 >/dev/null
wait "$cap"
