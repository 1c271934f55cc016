#!/usr/bin/env bash
# Loads one chain that kubewire owns into a namespace's iptables with iptables-restore --noflush
# (declaring the chain flushes only it, so a second run replaces, never duplicates), then makes
# sure the built-in HOOK chain jumps to it once. Rules come on stdin, one "-A CHAIN ..." per line.
# Usage: iptables-apply.sh NS TABLE CHAIN HOOK < rules
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "${BASH_SOURCE[0]%/*}/lib.sh"

(( $# == 4 )) || kw_die "usage: iptables-apply.sh NS TABLE CHAIN HOOK < rules"
ns=$1 table=$2 chain=$3 hook=$4
kw_netns "$ns"
kw_match "$table" '^(nat|filter|mangle)$' "table"
kw_match "$chain" '^KW-[A-Z0-9-]{1,25}$' "chain (kubewire chains start with KW-)"
kw_match "$hook" '^(PREROUTING|INPUT|FORWARD|OUTPUT|POSTROUTING)$' "hook chain"
kw_need_netns "$ns"

rules=()
while IFS= read -r line || [[ -n $line ]]; do
  [[ -z $line ]] && continue
  # Only appends to our own chain, and only words made of safe characters.
  [[ $line =~ ^-A\ $chain(\ [A-Za-z0-9./:!_=,-]+)+$ ]] || kw_die "rejected rule line: '$line'"
  rules+=("$line")
done

{
  printf '*%s\n:%s - [0:0]\n' "$table" "$chain"
  (( ${#rules[@]} == 0 )) || printf '%s\n' "${rules[@]}"
  printf 'COMMIT\n'
} | nsenter --net="/var/run/netns/$ns" -- iptables-restore --noflush

hooked=false
if ! nsenter --net="/var/run/netns/$ns" -- iptables -t "$table" -C "$hook" -j "$chain" 2>/dev/null; then
  nsenter --net="/var/run/netns/$ns" -- iptables -t "$table" -A "$hook" -j "$chain"
  hooked=true
fi
printf '{"rules":%d,"hooked":%s}\n' "${#rules[@]}" "$hooked"
