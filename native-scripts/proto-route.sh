#!/usr/bin/env bash
# A route used only by some IP protocols: DEST via VIA in routing table TABLE, selected by one
# policy rule per protocol. The emulated Internet reaches the node network this way for TCP and
# UDP (a NodePort answers from outside) while ICMP has no way back, as in the article's cloud
# (`ping google.com` from a pod gets no answer). Idempotent.
# Usage: proto-route.sh NS TABLE DEST_CIDR VIA PROTO...      (PROTO: tcp, udp)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "${BASH_SOURCE[0]%/*}/lib.sh"

(( $# >= 5 )) || kw_die "usage: proto-route.sh NS TABLE DEST_CIDR VIA PROTO..."
ns=$1 table=$2 dest=$3 via=$4
shift 4
kw_netns "$ns"; kw_uint "$table" 1 252 "routing table"; kw_cidr "$dest"; kw_ipv4 "$via"
for p in "$@"; do kw_match "$p" '^(tcp|udp)$' "protocol"; done
kw_need_netns "$ns"

ip -n "$ns" route replace "$dest" via "$via" table "$table"
added=()
for p in "$@"; do
  if [[ -z $(ip -n "$ns" rule show to "$dest" ipproto "$p" lookup "$table") ]]; then
    ip -n "$ns" rule add to "$dest" ipproto "$p" lookup "$table"
    added+=("$p")
  fi
done
printf '{"rulesAdded":%s}\n' "$(kw_json_list "${added[@]}")"
