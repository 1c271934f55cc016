#!/usr/bin/env bash
# Reads (never changes) the state of the host's root network namespace that a lab must leave
# untouched: links, addresses, routes of every table, rules, iptables and forwarding sysctls.
# Text outputs are base64 so the line stays JSON. Usage: host-snapshot.sh
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "${BASH_SOURCE[0]%/*}/lib.sh"
(( $# == 0 )) || kw_die "usage: host-snapshot.sh"

b64() { base64 -w0; }
rules_text() { # tool: rules without counters and without the dated comment lines
  if command -v "$1" >/dev/null; then "$1" 2>/dev/null | grep -v '^#' || true; fi
}

# One `ip -j -batch` for the four IPv4 reads (one JSON array per line, in order), one for IPv6 routes.
mapfile -t v4 < <(printf '%s\n' 'link show' 'addr show' 'route show table all' 'rule show' | ip -j -batch -)
(( ${#v4[@]} == 4 )) || kw_die "ip -j -batch printed ${#v4[@]} lines, not one per command (4)"
printf '{"link":%s,"addr":%s,"route":%s,"route6":%s,"rule":%s,' \
  "${v4[0]}" "${v4[1]}" "${v4[2]}" "$(ip -6 -j route show table all)" "${v4[3]}"
printf '"iptables":"%s","ip6tables":"%s",' "$(rules_text iptables-save | b64)" "$(rules_text ip6tables-save | b64)"
printf '"sysctl":{'
sep=''
for key in net.ipv4.ip_forward net.ipv4.conf.all.forwarding net.ipv4.conf.default.forwarding \
  net.ipv6.conf.all.forwarding net.ipv6.conf.default.forwarding; do
  # read, not cat: five processes fewer ('absent' when the file is not there)
  value=absent
  read -r value 2>/dev/null <"/proc/sys/${key//.//}" || true
  printf '%s"%s":"%s"' "$sep" "$key" "$value"
  sep=','
done
printf '}}\n'
