#!/usr/bin/env bash
# Writes a lab namespace's own /etc files (resolv.conf, hosts) under /etc/netns/<ns>/, which
# `ip netns exec` bind-mounts over /etc, so name lookups inside never reach the host's resolver.
# Usage: netns-files.sh NS HOSTNAME NAMESERVER [IP]
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "${BASH_SOURCE[0]%/*}/lib.sh"

(( $# == 3 || $# == 4 )) || kw_die "usage: netns-files.sh NS HOSTNAME NAMESERVER [IP]"
ns=$1 host=$2 nameserver=$3 ip=${4:-}
kw_netns "$ns"
kw_match "$host" "$KW_RE_HOSTNAME" "hostname"
kw_ipv4 "$nameserver"
[[ -z $ip ]] || kw_ipv4 "$ip"

dir=/etc/netns/$ns
mkdir -p -- "$dir"
resolv=$(printf '# kubewire lab resolver (emulated Internet)\nnameserver %s\n' "$nameserver")
hosts=$(printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t%s\n' "$host")
if [[ -n $ip ]]; then hosts+=$(printf '\n%s\t%s' "$ip" "$host"); fi

changed=()
write_if_changed() { # file content
  if [[ ! -f $1 || "$(cat -- "$1")" != "$2" ]]; then
    printf '%s\n' "$2" >"$1.tmp"
    mv -f -- "$1.tmp" "$1"
    changed+=("${1##*/}")
  fi
}
write_if_changed "$dir/resolv.conf" "$resolv"
write_if_changed "$dir/hosts" "$hosts"
printf '{"changed":%s}\n' "$(kw_json_list "${changed[@]}")"
