# shellcheck shell=bash
# shellcheck disable=SC2034  # the patterns are used by the scripts that source this file
# Shared by every kubewire helper: strict argument patterns, one JSON line out, logs to stderr.
# Sourced, never run. Patterns are anchored so an argument can never smuggle shell syntax.

# Marks: /run/kubewire/netns/<ns> holds the prefix of the lab that made namespace <ns>.
readonly KW_MARK_DIR=/run/kubewire/netns
readonly KW_RE_IFNAME='^[A-Za-z0-9_.-]{1,15}$'
# Lab namespaces: a prefix (kw-…) then node, pod (<k8sns>_<pod>) or infrastructure names.
# Large bounded repeats ({0,200}) make glibc's regcomp take hundreds of ms: patterns use + and *,
# lengths are checked separately (kw_maxlen).
readonly KW_RE_NETNS='^kw-[a-z0-9][a-z0-9_.-]*$'
readonly KW_RE_PREFIX='^kw-[a-z0-9-]{0,20}$'
readonly KW_RE_IPV4='^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$'
readonly KW_RE_MAC='^[0-9a-f]{2}(:[0-9a-f]{2}){5}$'
readonly KW_RE_UINT='^[0-9]{1,10}$'
readonly KW_RE_HOSTNAME='^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$'
readonly KW_RE_ABSPATH='^/[A-Za-z0-9_./@+-]+$'
readonly KW_RE_CONTAINER_ID='^[a-f0-9]{16,64}$'

kw_log() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
kw_die() { kw_log "$*"; exit 2; }

kw_match() { # value regex what
  [[ $1 =~ $2 ]] || kw_die "invalid $3: '$1'"
}
kw_maxlen() { # value max what
  (( ${#1} <= $2 )) || kw_die "$3 longer than $2 characters: '$1'"
}
kw_ifname() { kw_match "$1" "$KW_RE_IFNAME" "interface name"; }
kw_netns() { kw_maxlen "$1" 200 "namespace name"; kw_match "$1" "$KW_RE_NETNS" "namespace name"; }
kw_hostname() { kw_maxlen "$1" 253 "hostname"; kw_match "$1" "$KW_RE_HOSTNAME" "hostname"; }
kw_prefix() { kw_match "$1" "$KW_RE_PREFIX" "lab prefix"; }
kw_ipv4() { kw_match "$1" "$KW_RE_IPV4" "IPv4 address"; }
kw_mac() { kw_match "$1" "$KW_RE_MAC" "MAC address"; }
kw_abspath() {
  kw_maxlen "$1" 4000 "path"
  kw_match "$1" "$KW_RE_ABSPATH" "path"
  [[ $1 != *..* ]] || kw_die "invalid path (contains ..): '$1'"
}
kw_uint() { # value min max what
  kw_match "$1" "$KW_RE_UINT" "$4"
  (( 10#$1 >= $2 && 10#$1 <= $3 )) || kw_die "$4 out of range $2..$3: '$1'"
}
kw_cidr() { # a.b.c.d/len
  local ip=${1%/*} len=${1##*/}
  [[ $1 == */* ]] || kw_die "invalid CIDR (no /len): '$1'"
  kw_ipv4 "$ip"
  kw_uint "$len" 0 32 "prefix length"
}

# A name whose holder died (a dangling /proc/<pid>/ns/net link, as the article makes) still exists.
kw_netns_exists() { [[ -e /var/run/netns/$1 || -L /var/run/netns/$1 ]]; }
kw_need_netns() { kw_netns_exists "$1" || kw_die "namespace $1 does not exist"; }

# JSON string escaping for the small set of values helpers report (already validated names).
kw_json_str() {
  local s=${1//\\/\\\\}
  s=${s//\"/\\\"}
  printf '"%s"' "$s"
}
kw_json_list() { # items... -> ["a","b"] (no subshell per item: a reset lists thousands)
  local out='[' sep='' item s
  for item in "$@"; do
    s=${item//\\/\\\\}
    s=${s//\"/\\\"}
    out+="$sep\"$s\""
    sep=','
  done
  printf '%s]' "$out"
}

# The lab mark (runtime/lab/lab-cgroup.ts describes it): a cgroup per lab,
# <root>/<prefix>kubewire/_<leaf>, on pure v2 /sys/fs/cgroup, on hybrid hosts the empty v2 at
# /sys/fs/cgroup/unified, on v1-only hosts the pids (else name=systemd) hierarchy.
readonly KW_RE_LEAF='^(procs|cluster|guide|terminals|captures|watchers)$'
kw_cgroup_root() {
  local forced=${KUBEWIRE_CGROUP_ROOT:-}
  if [[ -n $forced ]]; then
    [[ $forced == /sys/fs/cgroup* && $forced != *..* && -f $forced/cgroup.procs ]] || kw_die "KUBEWIRE_CGROUP_ROOT is not a cgroup mount: '$forced'"
    printf '%s\n' "$forced"
  elif [[ -f /sys/fs/cgroup/cgroup.controllers ]]; then printf '%s\n' /sys/fs/cgroup
  elif [[ -f /sys/fs/cgroup/unified/cgroup.controllers ]]; then printf '%s\n' /sys/fs/cgroup/unified
  elif [[ -f /sys/fs/cgroup/pids/cgroup.procs ]]; then printf '%s\n' /sys/fs/cgroup/pids
  elif [[ -f /sys/fs/cgroup/systemd/cgroup.procs ]]; then printf '%s\n' /sys/fs/cgroup/systemd
  else kw_die "no cgroup hierarchy under /sys/fs/cgroup: lab processes cannot be marked"
  fi
}
# kw_cgroup_join PREFIX LEAF PID: puts PID (and so its future children) into the lab's leaf.
kw_cgroup_join() {
  kw_prefix "$1"; kw_match "$2" "$KW_RE_LEAF" "cgroup leaf"; kw_uint "$3" 1 4194304 "pid"
  local dir
  dir="$(kw_cgroup_root)/${1}kubewire/_$2"
  [[ -d $dir ]] || mkdir -p -- "$dir" # mkdir(1) only the first time: every lab process start came here
  printf '%s\n' "$3" >"$dir/cgroup.procs"
}
# kw_netns_prefix NS: the prefix of the lab that marked namespace NS (empty when unmarked).
kw_netns_prefix() {
  local p=''
  [[ -f $KW_MARK_DIR/$1 ]] && p=$(<"$KW_MARK_DIR/$1")
  if [[ -n $p && $p =~ $KW_RE_PREFIX && $1 == "$p"?* ]]; then printf '%s\n' "$p"; fi
}

# kw_netns_remove NS...: (names already validated) kills every process inside them, deletes them
# in one `ip -batch`, removes their /etc/netns folders and marks. One process per job, not per
# namespace, so thousands go in seconds. Sets KW_REMOVED (namespaces that existed) and
# KW_REMOVED_FILES (/etc/netns folders removed).
kw_netns_remove() {
  KW_REMOVED=() KW_REMOVED_FILES=()
  local ns inode link rest pid
  local -A inodes=()
  for ns in "$@"; do kw_netns_exists "$ns" && KW_REMOVED+=("$ns"); done
  if (( ${#KW_REMOVED[@]} > 0 )); then
    # The namespaces' inodes (stat follows a pin or a /proc/<pid>/ns/net link), then every process
    # whose network namespace is one of them, from one listing of /proc/*/ns/net.
    while read -r inode _; do [[ -n $inode ]] && inodes[$inode]=1; done < <(
      printf '/var/run/netns/%s\0' "${KW_REMOVED[@]}" | xargs -0 -r stat -L -c '%i %n' 2>/dev/null || true)
    local victims=()
    if (( ${#inodes[@]} > 0 )); then
      while read -r link rest; do
        inode=${link#net:[}; inode=${inode%]}
        [[ -n ${inodes[$inode]:-} ]] || continue
        pid=${rest#/proc/}; pid=${pid%%/*}
        [[ $pid =~ ^[0-9]+$ && $pid != "$$" ]] && victims+=("$pid")
      done < <(find /proc/[0-9]*/ns/net -maxdepth 0 -printf '%l %p\n' 2>/dev/null || true)
    fi
    (( ${#victims[@]} == 0 )) || kill -KILL "${victims[@]}" 2>/dev/null || true
    # -force: a name that went away meanwhile does not stop the others.
    printf 'netns delete %s\n' "${KW_REMOVED[@]}" | ip -force -batch - 2>/dev/null || true
    for ns in "${KW_REMOVED[@]}"; do
      if kw_netns_exists "$ns"; then rm -f -- "/var/run/netns/$ns" 2>/dev/null || kw_log "could not delete namespace $ns"; fi
    done
  fi
  for ns in "$@"; do [[ -d /etc/netns/$ns ]] && KW_REMOVED_FILES+=("/etc/netns/$ns"); done
  (( ${#KW_REMOVED_FILES[@]} == 0 )) || printf '%s\0' "${KW_REMOVED_FILES[@]}" | xargs -0 -r rm -rf --
  printf "$KW_MARK_DIR/%s\\0" "$@" | xargs -0 -r rm -f --
}
