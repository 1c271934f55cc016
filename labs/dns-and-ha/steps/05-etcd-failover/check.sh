#!/usr/bin/env bash
# Run by the lab runner after labs/lib/lab.sh and this lab's lib.sh are sourced.
# The etcd member that led was killed (a survivor's log says it lost that member as leader), the
# two others elected a new leader, and the ConfigMap after-failover was written after the loss —
# and it is in etcd, under the key the apiserver uses.
dead=() alive_ns=''
while read -r name pid ns _addr; do
  if etcd_alive "$pid"; then alive_ns=${alive_ns:-$ns}; else dead+=("$name"); fi
done < <(etcd_members)
if [ "${#dead[@]}" = 0 ]; then
  fail "all three etcd members still run: find the leader (etcdctl endpoint status -w table) and kill -9 it"
  done_checking
elif [ "${#dead[@]}" -gt 1 ]; then
  fail "${#dead[@]} members are down (${dead[*]}): without a majority etcd takes no writes; kubewire up starts them again"
  done_checking
fi
id=$(etcd_member_id "$alive_ns" "${dead[0]}")
lost=$(grep -h "lost leader $id at" "$KW_STATE_DIR"/logs/*etcd*.log 2>/dev/null | tail -1)
if [ -z "$id" ]; then
  fail "the member list does not name ${dead[0]} (is the store reachable?)"
elif [ -z "$lost" ]; then
  fail "${dead[0]} (member $id) was not the leader when it died (no member lost it as leader): kubewire up starts it again, then kill the one etcdctl endpoint status calls leader"
fi
leader=$(etcd_leader_name)
[ -n "$leader" ] || fail "the two remaining members have no leader (yet?)"
value=$(etcdctl_in "$alive_ns" get /registry/configmaps/default/after-failover --print-value-only 2>/dev/null)
if [ -z "$value" ]; then
  fail "etcd holds no /registry/configmaps/default/after-failover: kubectl create configmap after-failover --from-literal=written=after-the-leader-died"
elif [ -n "$lost" ]; then
  lost_at=$(json 'o.ts' <<<"$lost")
  created=$(json 'o.metadata.creationTimestamp' <<<"$value")
  # The survivors log the loss an election timeout (2.5 s) after the kill, and the apiserver stamps
  # creationTimestamp when the request arrives, before the write waits out the election: a write
  # sent right after the kill carries a time seconds before the logged loss (more on a loaded
  # machine, whose members notice late). Allow 15 s.
  if [ "$(date -d "$created" +%s)" -lt "$(($(date -d "$lost_at" +%s) - 15))" ]; then
    fail "the ConfigMap after-failover was created at $created, before ${dead[0]} died (its loss was logged at $lost_at): delete it and create it again"
  fi
fi
done_checking
