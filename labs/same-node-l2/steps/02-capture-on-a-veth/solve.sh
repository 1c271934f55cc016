#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
set -euo pipefail
vb=$(host_veth default/kubia-24hmb)
rm -f "$CAPTURE" "$KW_LAB_STATE/tcpdump.err"
in_ns node5 timeout 20 tcpdump -Z root -U -ni "$vb" -c 6 -w "$CAPTURE" arp or icmp >/dev/null 2>"$KW_LAB_STATE/tcpdump.err" &
cap=$!
# Wait until tcpdump listens (it says so on stderr), not a fixed time.
for _ in $(seq 200); do grep -q 'listening on' "$KW_LAB_STATE/tcpdump.err" 2>/dev/null && break; sleep 0.05; done
in_ns default/kubia-rpr99 ip neigh flush dev eth0
in_ns default/kubia-rpr99 ping -c 2 -i 0.2 -W 2 "$B_IP" >/dev/null
wait "$cap" || true
