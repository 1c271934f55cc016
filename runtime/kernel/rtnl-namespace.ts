// rtnetlink sockets inside one lab namespace, held by this process (netns-enter.ts opens them
// there): dumps of links, addresses, routes, neighbours and FDB in a few milliseconds without a
// process, and the namespace's change notifications. Two sockets, because the kernel runs one dump
// at a time per socket and the `netlink` package's reassembly of a multipart dump breaks when a
// notification arrives in the middle of it: dumps go one after another on one socket, the
// notifications arrive on the other. Routes: IPv4's main table, as `ip route show`.
import { closeSync, openSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { KubewireError } from '../../common/errors.js';
import type { NamespaceSnapshot } from '../../common/topology-model.js';
import { withNetns } from './netns-enter.js';
import {
  addressRecords,
  fdbRecords,
  linkRecords,
  nestedAttrs,
  neighbourRecords,
  routeRecords,
  routeRows,
  type RtMessage,
} from './rtnl-records.js';

/** The few members of the `netlink` package's RtNetlinkSocket used here. */
interface RtSocket {
  getLinks(): Promise<RtMessage[]>;
  getAddresses(): Promise<RtMessage[]>;
  getRoutes(data?: { family: number }): Promise<RtMessage[]>;
  getNeighbors(data?: { family: number }): Promise<RtMessage[]>;
  addMembership(group: string): void;
  on(event: 'message', l: (msgs: RtMessage[]) => void): void;
  on(event: 'error', l: (err: Error) => void): void;
  socket: {
    request(type: number, data: Uint8Array[], options?: { timeout?: number }): Promise<[NlMessage[], unknown]>;
    close(): void;
    unref(): void;
  };
}
interface NlMessage {
  type: number;
  data: Buffer;
}

const netlink = createRequire(import.meta.url)('netlink') as { createRtNetlink(o?: { ref?: boolean }): RtSocket };

const AF_INET = 2;
const AF_BRIDGE = 7;
const RTM_GETNSID = 90;
const RTM_NEWNSID = 88;
const NETNSA_NSID = 1;
const NETNSA_FD = 3;
/** Links, IPv4/IPv6 addresses, IPv4 routes, neighbours (ARP/NDP and FDB arrive as RTM_NEWNEIGH), nsids. */
const GROUPS = ['LINK', 'IPV4_IFADDR', 'IPV6_IFADDR', 'IPV4_ROUTE', 'NEIGH', 'NSID'];

export class RtnlError extends KubewireError {}

/** The socket was closed (the namespace went, or its reader stopped) while a read waited on it. */
export class RtnlClosedError extends RtnlError {}

export type SnapshotDetail = 'graph' | 'full';

/** A full snapshot plus the routes as `ip -j route show` rows (with flags such as onlink). */
export type FullSnapshot = NamespaceSnapshot & { routeRows: Record<string, unknown>[] };

/**
 * nsid → peer namespace, learnt per namespace (by name, checked against the namespace's inode so a
 * namespace made again under the same name starts over). Kept apart from the sockets: a page
 * reload stops and restarts the topology's watch, and learning every veth peer again costs one
 * request per candidate namespace (in a 20-node, 200-pod lab some 20 000, a minute under load).
 */
const learnt = new Map<string, { ino: number; ids: Map<number, { name: string; ino: number }> }>();

function inodeOf(path: string): number | undefined {
  try {
    return statSync(path).ino;
  } catch {
    return undefined;
  }
}

export class RtnlNamespace {
  private readonly sock: RtSocket;
  private events: RtSocket | undefined;
  private closed = false;
  /**
   * Rejects once close() is called. The `netlink` package never settles a request whose socket is
   * closed under it, so every request here races this: a read in flight when its namespace goes (or
   * when the live topology stops) fails at once instead of hanging its caller forever.
   */
  private readonly closing: Promise<never>;
  private rejectClosing: (err: Error) => void = () => undefined;
  /** Dumps on `sock` run one after another. */
  private queue: Promise<unknown> = Promise.resolve();
  /** This namespace's inode (its identity while it lives), when it could be read. */
  private readonly ino: number | undefined;

  private constructor(
    readonly name: string,
    private readonly netnsDir: string,
  ) {
    this.ino = inodeOf(join(netnsDir, name));
    this.sock = withNetns(join(netnsDir, name), () => netlink.createRtNetlink({ ref: false }));
    this.sock.on('error', () => undefined); // a socket error surfaces as a failed request
    this.closing = new Promise<never>((_, reject) => (this.rejectClosing = reject));
    this.closing.catch(() => undefined); // nobody may be waiting when it closes
  }

  /** Opens the socket inside `name` (throws NetnsGoneError when the namespace is gone). */
  static open(name: string, netnsDir = '/run/netns'): RtnlNamespace {
    return new RtnlNamespace(name, netnsDir);
  }

  /** The namespace's state; 'graph' skips routes and neighbours (the live graph draws neither). */
  snapshot(detail: SnapshotDetail = 'full', peerCandidates: readonly string[] = []): Promise<FullSnapshot> {
    const run = this.queue.then(() => this.read(detail, peerCandidates));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** `p` (a request on `sock`), or RtnlClosedError as soon as the socket is closed. */
  private live<T>(p: Promise<T>): Promise<T> {
    return Promise.race([p, this.closing]);
  }

  private async read(detail: SnapshotDetail, peerCandidates: readonly string[]): Promise<FullSnapshot> {
    if (this.closed) throw new RtnlClosedError(`the netlink socket in ${this.name} is closed`);
    const s = this.sock;
    const links = await this.live(s.getLinks());
    const addrs = await this.live(s.getAddresses());
    // IPv4 only, asked of the kernel: the records keep the IPv4 main table, and the IPv6 routes
    // (link-local, multicast and local ones per device) were about half of the messages decoded.
    const routes = detail === 'full' ? await this.live(s.getRoutes({ family: AF_INET })) : [];
    const neigh = detail === 'full' ? await this.live(s.getNeighbors()) : [];
    const fdb = await this.live(s.getNeighbors({ family: AF_BRIDGE }));
    const linkRecs = linkRecords(links);
    const names = new Map(linkRecs.map((l) => [l.ifindex, l.ifname]));
    const wanted = new Set(linkRecs.flatMap((l) => (l.linkNetnsid === undefined ? [] : [l.linkNetnsid])));
    return {
      name: this.name,
      links: linkRecs,
      addresses: addressRecords(addrs, names),
      routes: routeRecords(routes, names),
      routeRows: routeRows(routes, names),
      neighbours: neighbourRecords(neigh, names),
      // Only VXLAN devices' entries matter to the graph; the path tracer reads bridge ports' too.
      fdb: fdbRecords(fdb, names).filter(
        (f) => detail === 'full' || linkRecs.some((l) => l.ifname === f.ifname && l.kind === 'vxlan'),
      ),
      peers: await this.peers(wanted, peerCandidates),
    };
  }

  /** Calls `onChange` on every notification (link, address, route, neighbour, FDB, nsid). */
  watch(onChange: () => void): void {
    if (this.events || this.closed) return;
    const ev = withNetns(join(this.netnsDir, this.name), () => netlink.createRtNetlink({ ref: false }));
    ev.on('error', () => undefined);
    for (const g of GROUPS) ev.addMembership(g);
    ev.on('message', () => {
      if (!this.closed) onChange();
    });
    this.events = ev;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.rejectClosing(new RtnlClosedError(`the netlink socket in ${this.name} was closed during a read`));
    this.sock.socket.close();
    this.events?.socket.close();
  }

  /**
   * `ip netns list-id` for the nsids this namespace's veths name: RTM_GETNSID with each candidate
   * namespace's fd answers "which id has this namespace for that one", learnt once per nsid.
   */
  private async peers(wanted: Set<number>, candidates: readonly string[]): Promise<{ nsid: number; name: string }[]> {
    // nsids never change while both namespaces live; a peer that went away freed its id, which a
    // new namespace may get: forget it (and every namespace that is gone).
    const live = new Set(candidates);
    // Namespaces that are gone (checked now and then: callers pass different candidate lists).
    if (learnt.size > 2 * candidates.length + 64)
      for (const [n, e] of learnt) if (inodeOf(join(this.netnsDir, n)) !== e.ino) learnt.delete(n);
    let mine = learnt.get(this.name);
    if (!mine || mine.ino !== this.ino) {
      mine = { ino: this.ino ?? -1, ids: new Map() };
      if (this.ino !== undefined) learnt.set(this.name, mine);
    }
    const ids = mine.ids;
    for (const [id, peer] of [...ids])
      if (!live.has(peer.name) || inodeOf(join(this.netnsDir, peer.name)) !== peer.ino) ids.delete(id);
    const known = (): boolean => [...wanted].every((id) => ids.has(id));
    // Pods' veths lead to their node: nodes and the lab's own namespaces (no "_") are asked first.
    const ordered = [...candidates].sort((a, b) => Number(a.includes('_')) - Number(b.includes('_')));
    const named = new Set([...ids.values()].map((p) => p.name));
    for (const cand of ordered) {
      if (known()) break;
      if (cand === this.name || named.has(cand)) continue;
      const ino = inodeOf(join(this.netnsDir, cand));
      const id = await this.nsidOf(cand).catch(() => undefined);
      if (this.closed) throw new RtnlClosedError(`the netlink socket in ${this.name} was closed during a read`);
      if (id !== undefined && id >= 0 && ino !== undefined) {
        ids.set(id, { name: cand, ino });
        named.add(cand);
      }
    }
    return [...ids].filter(([id]) => wanted.has(id)).map(([nsid, peer]) => ({ nsid, name: peer.name }));
  }

  private async nsidOf(peer: string): Promise<number | undefined> {
    let fd: number;
    try {
      fd = openSync(join(this.netnsDir, peer), 'r');
    } catch {
      return undefined;
    }
    try {
      const head = Buffer.alloc(4); // struct rtgenmsg, padded
      const attr = Buffer.alloc(8);
      attr.writeUInt16LE(8, 0);
      attr.writeUInt16LE(NETNSA_FD, 2);
      attr.writeUInt32LE(fd, 4);
      const [reply] = await this.live(this.sock.socket.request(RTM_GETNSID, [head, attr], { timeout: 2000 }));
      const m = reply.find((r) => r.type === RTM_NEWNSID);
      const v = m ? nestedAttrs(m.data.subarray(4)).get(NETNSA_NSID) : undefined;
      return v ? v.readInt32LE(0) : undefined;
    } finally {
      closeSync(fd);
    }
  }
}
