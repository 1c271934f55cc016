#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
ip=$(cluster_ip kubia)
if [ -z "$ip" ] || [ "$ip" = None ]; then
  fail "there is no Service kubia with a cluster IP; run kubectl expose deployment kubia --port=8080"
else
  got=$(resolve kubia.default.svc.cluster.local)
  [ "$got" = "$ip" ] || fail "the tools pod resolves kubia.default.svc.cluster.local to '${got:-nothing}', not the Service's cluster IP $ip (yet?)"
fi
done_checking
