// The live topology: while anyone watches, keeps every lab namespace's snapshot and pushes the
// graph only when it differs from the last one. Driven by kernel events (netns-watch.ts: one
// rtnetlink socket per namespace held by this process, fs.watch on /run/netns) that mark a
// namespace dirty; a short debounce then re-reads only the dirty ones over the same sockets. A slow full read every `intervalMs`
// catches anything an event missed (a monitor killed by a teardown, a namespace made before its
// monitor subscribed). Without `events`, the old path: a full read every `intervalMs` through
// `ip -j -batch` (the benchmark's baseline; measured 54% of a core at 500 ms on 13 namespaces).
import { buildTopologyGraph } from '../../common/topology-graph.js';
import type { NamespaceSnapshot, TopologyGraph } from '../../common/topology-model.js';
import { describeError } from '../../common/errors.js';
import type { LabNamespaces } from '../lab-namespaces.js';
import type { RunCommand } from '../run-command.js';
import { NamespaceGoneError, readNamespace } from './namespace-reader.js';
import { NetnsWatch } from './netns-watch.js';
import { RtnlClosedError, RtnlNamespace } from '../../runtime/kernel/rtnl-namespace.js';
import { NetnsGoneError } from '../../runtime/kernel/netns-enter.js';

export interface TopologyUpdate {
  graph: TopologyGraph;
  /** How long reading the kernel took for this update. */
  readMs: number;
}

export interface TopologySource {
  read(): Promise<TopologyUpdate>;
  /** The listener gets the current graph at once, then every change. */
  subscribe(listener: (u: TopologyUpdate) => void): () => void;
}

export interface KernelTopologyDeps {
  namespaces: LabNamespaces;
  run: RunCommand;
  /** Full re-read period: the safety net with events, the only source without. */
  intervalMs: number;
  /** Parallel `ip` processes per read: the machine may be small. */
  concurrency: number;
  now: () => number;
  log: (line: string) => void;
  /** Kernel events; absent = poll only. */
  events?: { netnsDir: string; debounceMs: number };
  /**
   * How long the watch outlives its last listener (0: it stops at once). A page reload is an
   * unsubscribe then a subscribe a second later: within this time the new page gets the graph at
   * once, where a stop meant a cold read of every namespace again (on 20 nodes × 10 pods, new
   * sockets learn every veth peer's nsid anew: minutes at CI load, and the reload test timed out).
   */
  idleStopMs?: number;
}

export class KernelTopology implements TopologySource {
  private readonly listeners = new Set<(u: TopologyUpdate) => void>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private last: { json: string; update: TopologyUpdate } | undefined;
  private readonly snaps = new Map<string, NamespaceSnapshot>();
  private readonly dirty = new Set<string>();
  private listDirty = false;
  private debounce: NodeJS.Timeout | undefined;
  private busy = false;
  /**
   * Bumped by stop(): a read still in flight from before (its sockets closed under it) must neither
   * publish into nor hold up the next watch — a page reload is exactly unsubscribe, then subscribe.
   */
  private generation = 0;
  /** The earliest event not yet reflected in a pushed frame (for readMs: event → graph). */
  private firstEventAt: number | undefined;
  private watch: NetnsWatch | undefined;
  /** The namespaces of the last listing: candidates when naming a veth's peer namespace. */
  private known: readonly string[] = [];
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: KernelTopologyDeps) {}

  async read(): Promise<TopologyUpdate> {
    const t0 = this.deps.now();
    const names = await this.deps.namespaces.list();
    this.known = names;
    const snaps = await this.readSome(names);
    const graph = buildTopologyGraph(this.deps.namespaces.prefix, [...snaps.values()]);
    return { graph, readMs: this.deps.now() - t0 };
  }

  /** Namespaces with a running monitor (for tests and the benchmark). */
  watched(): string[] {
    return this.watch?.watching() ?? [];
  }

  subscribe(listener: (u: TopologyUpdate) => void): () => void {
    this.listeners.add(listener);
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    if (this.last) listener(this.last.update);
    if (!this.running) {
      this.running = true;
      const ev = this.deps.events;
      if (ev) {
        this.watch = new NetnsWatch({
          prefix: this.deps.namespaces.prefix,
          netnsDir: ev.netnsDir,
          onChange: (ns) => this.markDirty(ns),
          onListChange: () => this.markDirty(undefined),
          log: this.deps.log,
        });
        this.watch.watchDir();
      }
      void this.fullTick();
    }
    return () => {
      if (!this.listeners.delete(listener) || this.listeners.size > 0) return;
      const idle = this.deps.idleStopMs ?? 0;
      if (idle <= 0) return this.stop();
      this.idleTimer ??= setTimeout(() => {
        this.idleTimer = undefined;
        if (this.listeners.size === 0) this.stop();
      }, idle);
      this.idleTimer.unref();
    };
  }

  /** Stops now, whoever still listens (the server's dispose). */
  close(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    this.listeners.clear();
    if (this.running) this.stop();
  }

  private stop(): void {
    this.running = false;
    this.generation++;
    this.busy = false;
    this.listDirty = false;
    this.firstEventAt = undefined;
    if (this.timer) clearTimeout(this.timer);
    if (this.debounce) clearTimeout(this.debounce);
    this.timer = this.debounce = undefined;
    this.watch?.close();
    this.watch = undefined;
    this.last = undefined;
    this.snaps.clear();
    this.dirty.clear();
  }

  /** `ns` changed, or (undefined) the list of namespaces may have. */
  private markDirty(ns: string | undefined): void {
    if (!this.running) return;
    if (ns === undefined) this.listDirty = true;
    else this.dirty.add(ns);
    this.firstEventAt ??= this.deps.now();
    if (!this.debounce && !this.busy)
      this.debounce = setTimeout(() => void this.eventTick(), this.deps.events?.debounceMs ?? 0);
  }

  /** Re-reads what events marked, then pushes. */
  private async eventTick(): Promise<void> {
    this.debounce = undefined;
    if (!this.running || this.busy) return;
    this.busy = true;
    const gen = this.generation;
    try {
      const t0 = this.firstEventAt ?? this.deps.now();
      this.firstEventAt = undefined;
      let names: string[] | undefined;
      if (this.listDirty) {
        this.listDirty = false;
        names = await this.deps.namespaces.list();
        if (gen !== this.generation) return;
        this.known = names;
        for (const ns of names) {
          if (this.snaps.has(ns)) continue;
          this.dirty.add(ns);
          // Its monitor subscribes a few ms after this read starts: look once more after that.
          setTimeout(() => this.markDirty(ns), 300).unref();
        }
        for (const ns of [...this.snaps.keys()]) if (!names.includes(ns)) this.snaps.delete(ns);
        this.watch?.sync(names);
      }
      const todo = [...this.dirty];
      this.dirty.clear();
      const fresh = await this.readSome(todo);
      if (gen !== this.generation) return;
      for (const ns of todo) {
        const s = fresh.get(ns);
        if (s) this.snaps.set(ns, s);
        else this.snaps.delete(ns);
      }
      this.publish(this.deps.now() - t0);
    } catch (err) {
      if (gen === this.generation) this.deps.log(`topology: read failed: ${describeError(err)}`);
    } finally {
      if (gen === this.generation) this.busy = false;
    }
    if (gen !== this.generation) return;
    // Events that arrived while reading.
    if (this.running && (this.dirty.size > 0 || this.listDirty) && !this.debounce)
      this.debounce = setTimeout(() => void this.eventTick(), this.deps.events?.debounceMs ?? 0);
  }

  /** The full read: the only source without events, the safety net with them. */
  private async fullTick(): Promise<void> {
    if (!this.running) return;
    if (this.busy) {
      this.timer = setTimeout(() => void this.fullTick(), 50);
      return;
    }
    this.busy = true;
    const gen = this.generation;
    try {
      const t0 = this.deps.now();
      if (this.watch && !this.watch.watchDir())
        this.deps.log(`topology: ${this.deps.events?.netnsDir} cannot be watched yet`);
      const names = await this.deps.namespaces.list();
      if (gen !== this.generation) return;
      this.known = names;
      // Monitors first, then the read: a change between the two is seen by both at worst.
      this.watch?.sync(names);
      const fresh = await this.readSome(names);
      if (gen !== this.generation) return;
      this.snaps.clear();
      for (const [ns, s] of fresh) this.snaps.set(ns, s);
      this.publish(this.deps.now() - t0);
    } catch (err) {
      if (gen === this.generation) this.deps.log(`topology: read failed: ${describeError(err)}`);
    } finally {
      if (gen === this.generation) this.busy = false;
    }
    if (gen !== this.generation || !this.running) return;
    if (this.dirty.size > 0 || this.listDirty) void this.eventTick();
    // A chain of timeouts, not setInterval: a slow read never overlaps the next one. Until the
    // namespace directory exists (no lab yet), look again each second.
    const dirMissing = this.watch !== undefined && !this.watch.watchDir();
    this.timer = setTimeout(
      () => void this.fullTick(),
      dirMissing ? Math.min(1000, this.deps.intervalMs) : this.deps.intervalMs,
    );
  }

  private publish(readMs: number): void {
    const graph = buildTopologyGraph(
      this.deps.namespaces.prefix,
      [...this.snaps.keys()].sort().map((ns) => this.snaps.get(ns)!),
    );
    const json = JSON.stringify(graph);
    if (!this.running || json === this.last?.json) return;
    const update = { graph, readMs };
    this.last = { json, update };
    for (const l of this.listeners) l(update);
  }

  private async readSome(names: readonly string[]): Promise<Map<string, NamespaceSnapshot>> {
    const snaps = await mapLimit(names, this.deps.concurrency, async (ns) => {
      try {
        return await this.readOne(ns);
      } catch (err) {
        // Deleted between listing and reading (its socket closed as its file went).
        if (err instanceof NamespaceGoneError || err instanceof NetnsGoneError || err instanceof RtnlClosedError)
          return undefined;
        // Not a namespace yet: `ip netns add` made its file and has not mounted it (the watch
        // tries again, and reads it then).
        if ((err as { code?: unknown }).code === 'ESETNS') return undefined;
        throw err;
      }
    });
    const out = new Map<string, NamespaceSnapshot>();
    names.forEach((ns, i) => {
      if (snaps[i]) out.set(ns, snaps[i]);
    });
    return out;
  }

  /** Over the namespace's watching socket; without events, `ip -j` (the baseline's reader). */
  private async readOne(ns: string): Promise<NamespaceSnapshot> {
    const ev = this.deps.events;
    if (!ev) return readNamespace(this.deps.run, ns, 'graph');
    const watched = this.watch?.socket(ns);
    if (watched) return watched.snapshot('graph', this.known);
    const sock = RtnlNamespace.open(ns, ev.netnsDir);
    try {
      return await sock.snapshot('graph', this.known);
    } finally {
      sock.close();
    }
  }
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}
