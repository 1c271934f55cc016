#!/usr/bin/env bash
# Helpers of the dns-and-ha lab (sourced after labs/lib/lab.sh).

# resolve NAME: the A records the tools pod gets for NAME from the cluster DNS (its resolv.conf),
# sorted, one per line.
resolve() {
  local server
  server=$(awk '$1 == "nameserver" { print $2; exit }' "/etc/netns/$(kw_ns default/tools)/resolv.conf" 2>/dev/null)
  in_ns default/tools dig +short +time=2 +tries=2 ${server:+@"$server"} "$1" A 2>/dev/null | grep -E '^[0-9.]+$' | sort
}

# cluster_ip NAME: the cluster IP of Service NAME in default (empty if absent).
cluster_ip() {
  kw_api GET "/api/v1/namespaces/default/services/$1" 2>/dev/null | grep -o '"clusterIP":"[^"]*"' | head -1 | cut -d'"' -f4
}

# json EXPR: evaluates a JavaScript expression over the JSON read from stdin (bound to `o`) and
# prints the result (node runs kubewire, so it is always there; no jq needed).
json() {
  node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const o=JSON.parse(s);const r=('"$1"');process.stdout.write(typeof r==="string"?r:JSON.stringify(r))})'
}

# lease_holder NAME: the holderIdentity of Lease kube-system/NAME (empty when none).
lease_holder() {
  kw_api GET "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/$1" 2>/dev/null | json 'o.spec.holderIdentity || ""'
}

# control_plane EXPR: EXPR over what the cluster process saw of its control-plane replicas
# (control-plane.json: o.replicas — component, pid, identity, leading —, o.exits — component, pid,
# identity, signal, wasLeader; cluster/agents/control-plane-replicas.ts).
control_plane() {
  json "$1" <"$KW_STATE_DIR/control-plane.json"
}

# replica_pid COMPONENT IDENTITY: the pid of the running replica of COMPONENT (kube-scheduler,
# kube-controller-manager) whose Lease identity is IDENTITY: a process of this lab whose command
# line carries `--identity IDENTITY`. Empty when there is none.
replica_pid() {
  local pid
  [ -n "$2" ] || return 0
  pid=$(control_plane "String((o.replicas.find(r => r.component === '$1' && r.identity === '$2') || {}).pid || '')")
  [ -n "$pid" ] || return 0
  if kw_marked "$pid" && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "--identity $2 "; then
    echo "$pid"
  fi
}

# killed_leaders COMPONENT: identities of the replicas of COMPONENT that exited while they held
# its Lease, one per line.
killed_leaders() {
  control_plane "o.exits.filter(e => e.component === '$1' && e.wasLeader).map(e => e.identity).join('\n')"
}

# took_over COMPONENT: a leader of COMPONENT died and a running replica other than it holds the Lease.
took_over() {
  local holder dead
  holder=$(lease_holder "$1")
  dead=$(killed_leaders "$1")
  [ -n "$dead" ] && [ -n "$holder" ] && ! grep -qxF -- "$holder" <<<"$dead" && [ -n "$(replica_pid "$1" "$holder")" ]
}

# check_failover COMPONENT: FAIL lines unless the leading replica of COMPONENT was killed and a
# standby, still running, holds the Lease now.
check_failover() {
  local c=$1 holder pid dead
  holder=$(lease_holder "$c")
  dead=$(killed_leaders "$c")
  if [ -z "$dead" ]; then
    pid=$(replica_pid "$c" "$holder")
    fail "the leading $c (${holder:-no holder yet}${pid:+, pid $pid}) has not been killed yet: find its pid and kill -9 it"
  elif [ -z "$holder" ] || grep -qxF -- "$holder" <<<"$dead"; then
    fail "the Lease $c still names the killed leader ${holder:-(none)}; a standby takes it once it has gone unrenewed for leaseDurationSeconds (15 s)"
  elif [ -z "$(replica_pid "$c" "$holder")" ]; then
    fail "the Lease $c names $holder, which is not a running replica of this lab"
  fi
}

# kill_leader COMPONENT: kill -9 the replica of COMPONENT that holds its Lease (unless a leader of
# COMPONENT was killed already: solves run again on replay).
kill_leader() {
  local c=$1 holder pid=''
  [ -z "$(killed_leaders "$c")" ] || return 0
  for _ in $(seq 60); do
    holder=$(lease_holder "$c")
    pid=$(replica_pid "$c" "$holder")
    [ -n "$pid" ] && break
    sleep 0.5
  done
  [ -n "$pid" ] || { echo "no running replica of $c holds its Lease" >&2; return 1; }
  kill -9 "$pid"
}

# await_takeover COMPONENT: waits (up to about 90 s) until a standby of COMPONENT holds its Lease.
await_takeover() {
  for _ in $(seq 180); do
    took_over "$1" && return 0
    sleep 0.5
  done
  echo "no standby of $1 took its Lease over within about 90 s" >&2
  return 1
}

# etcd_members: "name pid netns address" of each etcd member of the lab's store, one per line
# (the members `kubewire up` started: state.json's processes etcd0, etcd1, ...).
etcd_members() {
  json 'o.topology.controlPlane.store.members.map(m => [m.name, (o.processes[m.name] || {}).pid || 0, (o.processes[m.name] || {}).netns || "", m.address].join(" ")).join("\n") + "\n"' <"$KW_STATE_DIR/state.json"
}

# etcd_endpoints: the client URLs of every member, comma-separated (what etcdctl --endpoints takes).
etcd_endpoints() {
  etcd_members | awk '{ printf "%shttp://%s:2379", (NR > 1 ? "," : ""), $4 }'
}

# etcd_alive PID: is PID still an etcd process of this lab?
etcd_alive() {
  [ "$1" != 0 ] && kw_marked "$1" && [ "$(readlink "/proc/$1/exe" 2>/dev/null)" = /usr/bin/etcd ]
}

# etcdctl_in NS ARGS...: etcdctl against every member, run inside member namespace NS.
etcdctl_in() {
  local ns=$1
  shift
  ip netns exec "$ns" etcdctl --endpoints "$(etcd_endpoints)" --command-timeout 5s "$@"
}

# etcd_leader_name: the name of the member that reports itself leader (empty when none does).
etcd_leader_name() {
  local name pid ns addr
  while read -r name pid ns addr; do
    etcd_alive "$pid" || continue
    # Simple output: endpoint, ID, version, DB size, IS LEADER, IS LEARNER, term, index, ...
    if ip netns exec "$ns" etcdctl --endpoints "http://$addr:2379" --command-timeout 3s endpoint status 2>/dev/null |
      awk -F', ' '$5 == "true" { found = 1 } END { exit !found }'; then
      echo "$name"
      return 0
    fi
  done < <(etcd_members)
}

# etcd_member_id NS NAME: the hex ID of member NAME, as `etcdctl member list` (run in NS) prints it.
etcd_member_id() {
  etcdctl_in "$1" member list 2>/dev/null | awk -F', ' -v n="$2" '$3 == n { print $1 }'
}
