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
kw_json_list() { # items... -> ["a","b"]
  local out='[' sep='' item
  for item in "$@"; do out+="$sep$(kw_json_str "$item")"; sep=','; done
  printf '%s]' "$out"
}
