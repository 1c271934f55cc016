// rtnetlink messages (as the `netlink` package decodes them) → the plain records of
// common/topology-model.ts, in the same shapes and spellings as `ip -j`/`bridge -j` print, so the
// graph, the path tracer and their tests see no difference between the two readers.
import { formatIpv4 } from '../../common/net/ipv4.js';
import type {
  AddressRecord,
  FdbRecord,
  LinkRecord,
  NeighbourRecord,
  RouteRecord,
} from '../../common/topology-model.js';

/** The parts of the package's message objects this file reads (its typings are wider). */
export interface RtMessage {
  kind: string;
  data: Record<string, unknown>;
  attrs: Record<string, unknown>;
}

const OPERSTATE = ['UNKNOWN', 'NOTPRESENT', 'DOWN', 'LOWERLAYERDOWN', 'TESTING', 'DORMANT', 'UP'];
const PROTOCOL: Record<string, string> = { KERNEL: 'kernel', BOOT: 'boot', STATIC: 'static', DHCP: 'dhcp' };
const SCOPE: Record<string, string> = {
  UNIVERSE: 'global',
  SITE: 'site',
  LINK: 'link',
  HOST: 'host',
  NOWHERE: 'nowhere',
};
const SCOPE_NUM: Record<number, string> = { 0: 'global', 200: 'site', 253: 'link', 254: 'host', 255: 'nowhere' };
const AF_INET = 2;
const AF_INET6 = 10;
const RT_TABLE_MAIN = 254;

const HEX2 = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** aa:bb:… of a link-layer address (a dump of a node's FDB holds hundreds: no per-byte arrays). */
export function mac(b: unknown): string {
  if (!Buffer.isBuffer(b) || b.length === 0) return '';
  let s = HEX2[b[0]!]!;
  for (let i = 1; i < b.length; i++) s += `:${HEX2[b[i]!]!}`;
  return s;
}

export function ip(b: unknown): string | undefined {
  if (!Buffer.isBuffer(b)) return undefined;
  if (b.length === 4) return formatIpv4(b.readUInt32BE(0));
  if (b.length !== 16) return undefined;
  const words = Array.from({ length: 8 }, (_, i) => b.readUInt16BE(i * 2).toString(16));
  // RFC 5952: the longest run (≥ 2) of zero words becomes '::'.
  let best = -1,
    bestLen = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && words[j] === '0') j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  if (best < 0) return words.join(':');
  return `${words.slice(0, best).join(':')}::${words.slice(best + bestLen).join(':')}`;
}

/** Netlink attributes (len u16, type u16, value, padded to 4) of a nested attribute's payload. */
export function nestedAttrs(b: Buffer): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  for (let off = 0; off + 4 <= b.length;) {
    const len = b.readUInt16LE(off);
    if (len < 4 || off + len > b.length) break;
    out.set(b.readUInt16LE(off + 2) & 0x3fff, b.subarray(off + 4, off + len));
    off += (len + 3) & ~3;
  }
  return out;
}

function int(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (Buffer.isBuffer(v) && v.length >= 4) return v.readInt32LE(0);
  return undefined;
}

/** Links, with master and VXLAN lower device named as `ip -j -d link` names them. */
export function linkRecords(msgs: readonly RtMessage[]): LinkRecord[] {
  const names = new Map<number, string>();
  for (const m of msgs) names.set(m.data.index as number, String(m.attrs.ifname ?? ''));
  return msgs.map((m) => {
    const a = m.attrs;
    const flags = (m.data.flags ?? {}) as Record<string, boolean>;
    const info = Buffer.isBuffer(a.linkinfo) ? nestedAttrs(a.linkinfo) : undefined;
    const kindBuf = info?.get(1);
    const kind = kindBuf
      ? kindBuf.toString('utf8').replace(/\0+$/, '')
      : String(m.data.type ?? 'unknown').toLowerCase();
    const link: LinkRecord = {
      ifindex: m.data.index as number,
      ifname: String(a.ifname ?? ''),
      kind,
      mac: mac(a.address),
      mtu: typeof a.mtu === 'number' ? a.mtu : 0,
      operstate: OPERSTATE[typeof a.operstate === 'number' ? a.operstate : 0] ?? 'UNKNOWN',
      up: flags.up === true,
    };
    if (typeof a.master === 'number' && names.has(a.master)) link.master = names.get(a.master)!;
    const peer = int(a.link);
    if (peer !== undefined && peer !== link.ifindex && peer > 0) link.linkIndex = peer;
    if (typeof a.linkNetnsid === 'number') link.linkNetnsid = a.linkNetnsid;
    const data = info?.get(2);
    if (kind === 'vxlan' && data) {
      const d = nestedAttrs(data);
      link.vxlan = { vni: d.get(1)?.readUInt32LE(0) ?? -1 };
      const local = ip(d.get(4));
      if (local) link.vxlan.local = local;
      const port = d.get(15);
      if (port && port.length >= 2) link.vxlan.port = port.readUInt16BE(0);
      const lower = d.get(3)?.readUInt32LE(0);
      if (lower && names.has(lower)) link.vxlan.dev = names.get(lower)!;
    }
    return link;
  });
}

export function addressRecords(msgs: readonly RtMessage[], names: ReadonlyMap<number, string>): AddressRecord[] {
  return msgs.flatMap((m): AddressRecord[] => {
    const family = m.data.family === AF_INET ? 'inet' : m.data.family === AF_INET6 ? 'inet6' : undefined;
    const local = ip(m.attrs.local) ?? ip(m.attrs.address);
    const ifname = names.get(m.data.index as number);
    if (!family || !local || !ifname) return [];
    return [
      { ifname, family, local, prefixlen: m.data.prefixlen as number, scope: SCOPE_NUM[m.data.scope as number] ?? '' },
    ];
  });
}

/** `ip route show`: IPv4, main table, unicast-ish rows (local/broadcast live in table local). */
export function routeRecords(msgs: readonly RtMessage[], names: ReadonlyMap<number, string>): RouteRecord[] {
  return msgs.flatMap((m): RouteRecord[] => {
    const table = typeof m.attrs.table === 'number' ? m.attrs.table : m.data.table;
    if (m.data.family !== AF_INET || table !== RT_TABLE_MAIN) return [];
    const len = m.data.dstLen as number;
    const dst = len === 0 ? 'default' : len === 32 ? ip(m.attrs.dst)! : `${ip(m.attrs.dst)}/${len}`;
    const r: RouteRecord = { dst };
    const gw = ip(m.attrs.gateway);
    if (gw) r.gateway = gw;
    const dev = names.get(m.attrs.oif as number);
    if (dev) r.dev = dev;
    // `ip -j` names both always (its text output leaves out proto boot and scope global).
    const proto = PROTOCOL[String(m.data.protocol)] ?? String(m.data.protocol).toLowerCase();
    if (proto) r.protocol = proto;
    const scope = SCOPE[String(m.data.scope)];
    if (scope) r.scope = scope;
    const src = ip(m.attrs.prefsrc);
    if (src) r.prefsrc = src;
    return [r];
  });
}

const NEXTHOP_FLAGS: [number, string][] = [
  [1, 'dead'],
  [2, 'pervasive'],
  [4, 'onlink'],
  [16, 'linkdown'],
];

/** `ip -j route show` rows as printed, flags included (the path tracer quotes the entry it used). */
export function routeRows(msgs: readonly RtMessage[], names: ReadonlyMap<number, string>): Record<string, unknown>[] {
  const flagsOf = new Map<RtMessage, string[]>();
  for (const m of msgs) {
    const bits = Number((m.data.flags as { __unknown?: number } | undefined)?.__unknown ?? 0);
    flagsOf.set(
      m,
      NEXTHOP_FLAGS.filter(([b]) => bits & b).map(([, n]) => n),
    );
  }
  const recs = routeRecords(msgs, names);
  const kept = msgs.filter((m) => {
    const table = typeof m.attrs.table === 'number' ? m.attrs.table : m.data.table;
    return m.data.family === AF_INET && table === RT_TABLE_MAIN;
  });
  return recs.map((r, i) => ({
    type: String(kept[i]!.data.type ?? 'unicast').toLowerCase(),
    ...r,
    flags: flagsOf.get(kept[i]!) ?? [],
  }));
}

/** `ip neigh show`: every family, NOARP entries (multicast, loopback) left out as iproute2 does. */
export function neighbourRecords(msgs: readonly RtMessage[], names: ReadonlyMap<number, string>): NeighbourRecord[] {
  return msgs.flatMap((m): NeighbourRecord[] => {
    const st = (m.data.state ?? {}) as Record<string, boolean>;
    if (st.noarp) return [];
    const dst = ip(m.attrs.dst);
    const dev = names.get(m.data.ifindex as number);
    if (!dst || !dev) return [];
    const n: NeighbourRecord = {
      dst,
      dev,
      state: Object.keys(st)
        .filter((k) => st[k])
        .map((k) => k.toUpperCase()),
    };
    const ll = mac(m.attrs.lladdr);
    if (ll) n.lladdr = ll;
    return [n];
  });
}

/** `bridge fdb show`: AF_BRIDGE neighbour messages. */
export function fdbRecords(msgs: readonly RtMessage[], names: ReadonlyMap<number, string>): FdbRecord[] {
  return msgs.flatMap((m): FdbRecord[] => {
    const ifname = names.get(m.data.ifindex as number);
    const addr = mac(m.attrs.lladdr);
    if (!ifname || !addr) return [];
    const st = (m.data.state ?? {}) as Record<string, boolean>;
    const f: FdbRecord = { mac: addr, ifname, state: st.permanent ? 'permanent' : st.noarp ? 'static' : '' };
    const dst = ip(m.attrs.dst);
    if (dst) f.dst = dst;
    const master = names.get(int(m.attrs.master) ?? -1);
    if (master) f.master = master;
    return [f];
  });
}
