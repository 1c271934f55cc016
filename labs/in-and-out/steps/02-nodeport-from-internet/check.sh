#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
ct_list node5 -p tcp --orig-dst 10.231.209.117 --dport 32681 2>/dev/null \
  | grep -Eq 'src=198\.51\.100\.[0-9]+ dst=10\.231\.209\.117 sport=[0-9]+ dport=32681 src=192\.168\.132\.7[23] ' \
  || fail "node5 has no connection from the Internet to 10.231.209.117:32681 translated to a kubia pod; run curl -s 10.231.209.117:32681 in the internet terminal"
done_checking
