#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
[ "$(cluster_ip kubia-headless)" = None ] || fail "there is no headless Service kubia-headless (clusterIP: None)"
got=$(resolve kubia-headless.default.svc.cluster.local | tr '\n' ' ')
[ "$got" = "192.168.132.72 192.168.132.73 " ] || fail "kubia-headless.default.svc.cluster.local resolves to '${got:-nothing}', not the two kubia pods 192.168.132.72 and .73"
done_checking
