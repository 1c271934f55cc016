// What the path derivation asks the kernel, namespace by namespace, behind one small interface: the
// real one reads rtnetlink (a socket opened inside each namespace, runtime/kernel/) and runs
// `ip route get`/iptables-save with argument arrays; tests replay recorded JSON through the same
// interface. Snapshots are read once per trace.
import { KubewireError } from '../../common/errors.js';
import type { AddressRecord, FdbRecord, LinkRecord, NeighbourRecord } from '../../common/topology-model.js';
import type { RunCommand } from '../run-command.js';
import { RtnlNamespace } from '../../runtime/kernel/rtnl-namespace.js';

export interface PathSnapshot {
  name: string;
  links: LinkRecord[];
  addresses: AddressRecord[];
  /** `ip -j route show` rows as printed (dst, gateway, dev, flags…), for naming the entry that matched. */
  routes: Record<string, unknown>[];
  neighbours: NeighbourRecord[];
  fdb: FdbRecord[];
  peers: { nsid: number; name: string }[];
}

/** `ip -j route get` answer: `type` is absent for unicast. */
export interface RouteAnswer {
  type?: string;
  dst: string;
  gateway?: string;
  dev?: string;
  prefsrc?: string;
  /** Set when the kernel refused the lookup (no route, forwarding off): its message. */
  error?: string;
}

export interface RouteQuery {
  dst: string;
  from?: string;
  iif?: string;
  /** Policy rules may select by protocol (the Internet routes TCP/UDP back to the nodes, not ICMP). */
  ipproto?: 'tcp' | 'udp' | 'icmp';
}

export interface PathKernel {
  namespaces(): Promise<string[]>;
  snapshot(ns: string): Promise<PathSnapshot>;
  routeGet(ns: string, q: RouteQuery): Promise<RouteAnswer>;
  /** `iptables-save` text, every table ('' when the namespace has none). */
  iptablesSave(ns: string): Promise<string>;
}

export function routeGetArgv(ns: string, q: RouteQuery): string[] {
  const argv = ['ip', '-j', '-n', ns, 'route', 'get', q.dst];
  if (q.from) argv.push('from', q.from);
  if (q.iif) argv.push('iif', q.iif);
  if (q.ipproto) argv.push('ipproto', q.ipproto);
  return argv;
}

export class KernelPathView implements PathKernel {
  private readonly snaps = new Map<string, Promise<PathSnapshot>>();
  private readonly saved = new Map<string, Promise<string>>();

  constructor(
    private readonly run: RunCommand,
    private readonly listNamespaces: () => Promise<string[]>,
    /** Namespaces the tracer may read: the lab's own (a veth into anything else stops the trace). */
    private readonly allow: (ns: string) => boolean = () => true,
    private readonly netnsDir = '/run/netns',
  ) {}

  namespaces(): Promise<string[]> {
    return this.listNamespaces();
  }

  snapshot(ns: string): Promise<PathSnapshot> {
    if (!this.allow(ns))
      return Promise.reject(new KubewireError(`the path leads into namespace '${ns}', which is not part of this lab`));
    let p = this.snaps.get(ns);
    if (!p) {
      p = this.readSnapshot(ns);
      this.snaps.set(ns, p);
      // Every namespace the walk enters has its tables consulted: read them alongside (iptables-save
      // is the slowest of the reads), instead of after the route lookup.
      this.iptablesSave(ns).catch(() => undefined);
    }
    return p;
  }

  /** Over an rtnetlink socket opened inside the namespace: no process (was `ip -batch` + `bridge fdb`). */
  private async readSnapshot(ns: string): Promise<PathSnapshot> {
    let sock: RtnlNamespace;
    try {
      sock = RtnlNamespace.open(ns, this.netnsDir);
    } catch (cause) {
      throw new KubewireError(`cannot read namespace ${ns}`, { cause });
    }
    try {
      const s = await sock.snapshot('full', await this.listNamespaces());
      return {
        name: ns,
        links: s.links,
        addresses: s.addresses,
        routes: s.routeRows,
        neighbours: s.neighbours,
        fdb: s.fdb,
        peers: s.peers,
      };
    } finally {
      sock.close();
    }
  }

  async routeGet(ns: string, q: RouteQuery): Promise<RouteAnswer> {
    const r = await this.run(routeGetArgv(ns, q), { timeoutMs: 5000 });
    if (r.exitCode !== 0)
      return { dst: q.dst, error: r.stderr.trim().replace(/^RTNETLINK answers: /, '') || `exit ${r.exitCode}` };
    const rows = JSON.parse(r.stdout || '[]') as RouteAnswer[];
    return rows[0] ?? { dst: q.dst, error: 'no answer' };
  }

  iptablesSave(ns: string): Promise<string> {
    let p = this.saved.get(ns);
    if (!p) {
      p = this.run(['ip', 'netns', 'exec', ns, 'iptables-save'], { timeoutMs: 5000 }).then((r) =>
        r.exitCode === 0 ? r.stdout : '',
      );
      this.saved.set(ns, p);
    }
    return p;
  }
}

/** Wraps a kernel view and keeps every answer, so a test fixture can be recorded from a real lab. */
export class RecordingPathView implements PathKernel {
  readonly record: RecordedKernel = { namespaces: [], snapshots: {}, routes: {}, iptables: {} };
  constructor(private readonly inner: PathKernel) {}
  async namespaces(): Promise<string[]> {
    return (this.record.namespaces = await this.inner.namespaces());
  }
  async snapshot(ns: string): Promise<PathSnapshot> {
    return (this.record.snapshots[ns] = await this.inner.snapshot(ns));
  }
  async routeGet(ns: string, q: RouteQuery): Promise<RouteAnswer> {
    return (this.record.routes[routeKey(ns, q)] = await this.inner.routeGet(ns, q));
  }
  async iptablesSave(ns: string): Promise<string> {
    return (this.record.iptables[ns] = await this.inner.iptablesSave(ns));
  }
}

export interface RecordedKernel {
  namespaces: string[];
  snapshots: Record<string, PathSnapshot>;
  routes: Record<string, RouteAnswer>;
  /** `iptables-save` output per namespace. */
  iptables: Record<string, string>;
}

export function routeKey(ns: string, q: RouteQuery): string {
  return routeGetArgv(ns, q).slice(3).join(' ');
}

/** Replays a recording: a question that was not recorded is an error, so a test cannot pass by accident. */
export class RecordedPathView implements PathKernel {
  constructor(private readonly rec: RecordedKernel) {}
  async namespaces(): Promise<string[]> {
    return this.rec.namespaces;
  }
  async snapshot(ns: string): Promise<PathSnapshot> {
    const s = this.rec.snapshots[ns];
    if (!s) throw new KubewireError(`recorded kernel: no snapshot of ${ns}`);
    return s;
  }
  async routeGet(ns: string, q: RouteQuery): Promise<RouteAnswer> {
    const r = this.rec.routes[routeKey(ns, q)];
    if (!r) throw new KubewireError(`recorded kernel: no answer for '${routeKey(ns, q)}'`);
    return r;
  }
  async iptablesSave(ns: string): Promise<string> {
    return this.rec.iptables[ns] ?? '';
  }
}
