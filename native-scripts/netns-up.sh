#!/usr/bin/env bash
# Creates lab network namespaces (pinned under /var/run/netns, as `ip netns add` and containerd do),
# brings their loopback up and, with --forward, turns on IPv4 forwarding inside them (routers:
# nodes, the gateway). Each namespace is first marked as the lab's in /run/kubewire/netns/<ns>
# (before it exists, so a crash cannot leave an unmarked one): a sweep removes only what carries
# its lab's mark, never a look-alike name. Idempotent. Usage: netns-up.sh PREFIX [--create-only | --forward] NS...
# --create-only: only mark and create (the caller brings lo up and sets forwarding itself, as
# kubewire's local driver does over rtnetlink).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "${BASH_SOURCE[0]%/*}/lib.sh"

(( $# >= 2 )) || kw_die "usage: netns-up.sh PREFIX [--create-only | --forward] NS..."
prefix=$1
shift
kw_prefix "$prefix"
forward=0 setup=1
if [[ ${1:-} == --forward ]]; then forward=1; shift
elif [[ ${1:-} == --create-only ]]; then setup=0; shift; fi
(( $# > 0 )) || kw_die "usage: netns-up.sh PREFIX [--create-only | --forward] NS..."
for ns in "$@"; do
  kw_netns "$ns"
  [[ $ns == "$prefix"?* ]] || kw_die "namespace $ns does not start with the lab prefix $prefix"
done
[[ -d $KW_MARK_DIR ]] || mkdir -p "$KW_MARK_DIR"

created=()
for ns in "$@"; do
  if ! kw_netns_exists "$ns"; then
    printf '%s\n' "$prefix" >"$KW_MARK_DIR/$ns"
    created+=("$ns")
  fi
done
# One ip process adds them all (lines built from the names validated above).
(( ${#created[@]} == 0 )) || printf 'netns add %s\n' "${created[@]}" | ip -batch -
for ns in "$@"; do
  (( setup )) || break
  ip -n "$ns" link set lo up
  if (( forward )); then
    # /proc/sys/net is per network namespace: the write lands in $ns only.
    nsenter --net="/var/run/netns/$ns" -- sysctl -qw net.ipv4.ip_forward=1
  fi
done
printf '{"created":%s}\n' "$(kw_json_list "${created[@]}")"
