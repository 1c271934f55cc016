#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
set -euo pipefail
before=$(l3_answers)
in_ns node5 ip neigh del "$NODE1_VTEP_IP" dev flannel.1 2>/dev/null || true
in_ns node5 bridge fdb del "$NODE1_VTEP_MAC" dev flannel.1 2>/dev/null || true
for _ in $(seq 20); do
  in_ns default/tools ping -c 1 -W 1 192.168.128.10 >/dev/null 2>&1 && [ "$(l3_answers)" -gt "$before" ] && exit 0
done
echo "flanneld did not answer a new L3 miss" >&2
exit 1
