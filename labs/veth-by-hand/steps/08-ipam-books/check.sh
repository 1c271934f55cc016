#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
f="$KW_STATE_DIR/nodes/node5/cni/networks/cbr0/192.168.132.150"
if [ ! -f "$f" ]; then
  fail "host-local has no record of 192.168.132.150 on node5; write the file $f"
else
  [ "$(head -1 "$f")" = "$CONTAINER" ] || fail "$f does not name the container ($CONTAINER) on its first line"
  [ "$(sed -n 2p "$f")" = eth0 ] || fail "$f does not name the interface eth0 on its second line"
fi
done_checking
