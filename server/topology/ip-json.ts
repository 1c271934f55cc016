// Pure parsers from iproute2's JSON (`ip -j -d link/addr/route/neigh`, `ip -j netns list-id`,
// `bridge -j fdb`) to the plain records of common/topology-model.ts. Tested on recorded output.
import { KubewireError } from '../../common/errors.js';
import type {
  AddressRecord,
  FdbRecord,
  LinkRecord,
  NeighbourRecord,
  RouteRecord,
} from '../../common/topology-model.js';

type Json = Record<string, unknown>;

export class IpJsonError extends KubewireError {}

/** `ip -batch` prints one JSON array per command, one per line. */
export function splitBatchOutput(text: string, expected: number, where: string): unknown[][] {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  if (lines.length !== expected)
    throw new IpJsonError(`${where}: expected ${expected} JSON arrays from ip -batch, got ${lines.length}`);
  return lines.map((l, i) => {
    let v: unknown;
    try {
      v = JSON.parse(l);
    } catch (err) {
      throw new IpJsonError(`${where}: output ${i + 1} is not JSON`, { cause: err });
    }
    if (!Array.isArray(v)) throw new IpJsonError(`${where}: output ${i + 1} is not a JSON array`);
    return v;
  });
}

export function parseLinks(rows: unknown[]): LinkRecord[] {
  return rows.filter(isObj).flatMap((r): LinkRecord[] => {
    if (typeof r.ifindex !== 'number' || typeof r.ifname !== 'string') return [];
    const info = isObj(r.linkinfo) ? r.linkinfo : undefined;
    const flags = Array.isArray(r.flags) ? r.flags : [];
    // `ip` prints a veth as `eth0@if5` only in text; in JSON the name is clean.
    const link: LinkRecord = {
      ifindex: r.ifindex,
      ifname: r.ifname,
      kind:
        typeof info?.info_kind === 'string'
          ? info.info_kind
          : typeof r.link_type === 'string'
            ? r.link_type
            : 'unknown',
      mac: typeof r.address === 'string' ? r.address : '',
      mtu: typeof r.mtu === 'number' ? r.mtu : 0,
      operstate: typeof r.operstate === 'string' ? r.operstate : 'UNKNOWN',
      up: flags.includes('UP'),
    };
    if (typeof r.master === 'string') link.master = r.master;
    if (typeof r.link_index === 'number') link.linkIndex = r.link_index;
    if (typeof r.link_netnsid === 'number') link.linkNetnsid = r.link_netnsid;
    if (link.kind === 'vxlan' && isObj(info?.info_data)) {
      const d = info.info_data;
      link.vxlan = { vni: typeof d.id === 'number' ? d.id : -1 };
      if (typeof d.local === 'string') link.vxlan.local = d.local;
      if (typeof d.port === 'number') link.vxlan.port = d.port;
      if (typeof d.link === 'string') link.vxlan.dev = d.link;
    }
    return [link];
  });
}

export function parseAddresses(rows: unknown[]): AddressRecord[] {
  const out: AddressRecord[] = [];
  for (const r of rows.filter(isObj)) {
    if (typeof r.ifname !== 'string' || !Array.isArray(r.addr_info)) continue;
    for (const a of r.addr_info.filter(isObj)) {
      if (
        (a.family !== 'inet' && a.family !== 'inet6') ||
        typeof a.local !== 'string' ||
        typeof a.prefixlen !== 'number'
      )
        continue;
      out.push({
        ifname: r.ifname,
        family: a.family,
        local: a.local,
        prefixlen: a.prefixlen,
        scope: typeof a.scope === 'string' ? a.scope : '',
      });
    }
  }
  return out;
}

export function parseRoutes(rows: unknown[]): RouteRecord[] {
  return rows.filter(isObj).flatMap((r): RouteRecord[] => {
    if (typeof r.dst !== 'string') return [];
    const route: RouteRecord = { dst: r.dst };
    for (const k of ['gateway', 'dev', 'protocol', 'scope', 'prefsrc'] as const)
      if (typeof r[k] === 'string') route[k] = r[k] as string;
    return [route];
  });
}

export function parseNeighbours(rows: unknown[]): NeighbourRecord[] {
  return rows.filter(isObj).flatMap((r): NeighbourRecord[] => {
    if (typeof r.dst !== 'string' || typeof r.dev !== 'string') return [];
    const n: NeighbourRecord = {
      dst: r.dst,
      dev: r.dev,
      state: Array.isArray(r.state) ? r.state.filter((s): s is string => typeof s === 'string') : [],
    };
    if (typeof r.lladdr === 'string') n.lladdr = r.lladdr;
    return [n];
  });
}

export function parseFdb(rows: unknown[]): FdbRecord[] {
  return rows.filter(isObj).flatMap((r): FdbRecord[] => {
    if (typeof r.mac !== 'string' || typeof r.ifname !== 'string') return [];
    const f: FdbRecord = { mac: r.mac, ifname: r.ifname, state: typeof r.state === 'string' ? r.state : '' };
    if (typeof r.dst === 'string') f.dst = r.dst;
    if (typeof r.master === 'string') f.master = r.master;
    return [f];
  });
}

export function parsePeers(rows: unknown[]): { nsid: number; name: string }[] {
  return rows
    .filter(isObj)
    .flatMap((r) => (typeof r.nsid === 'number' && typeof r.name === 'string' ? [{ nsid: r.nsid, name: r.name }] : []));
}

function isObj(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
