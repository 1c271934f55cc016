// The live topology: while anyone watches, reads every lab namespace (one `ip -batch` each) every
// `intervalMs`, builds the graph, and pushes it only when it differs from the last one. Polling with
// short-lived processes, not a long-running `ip monitor` per namespace: a monitor's netlink socket
// would hold each namespace alive after `ip netns del` and show up in `ip netns pids`.
import { buildTopologyGraph } from '../../common/topology-graph.js';
import type { NamespaceSnapshot, TopologyGraph } from '../../common/topology-model.js';
import { describeError } from '../../common/errors.js';
import type { LabNamespaces } from '../lab-namespaces.js';
import type { RunCommand } from '../run-command.js';
import { NamespaceGoneError, readNamespace } from './namespace-reader.js';

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
  intervalMs: number;
  /** Parallel `ip` processes per read: the machine may be small. */
  concurrency: number;
  now: () => number;
  log: (line: string) => void;
}

export class KernelTopology implements TopologySource {
  private readonly listeners = new Set<(u: TopologyUpdate) => void>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private last: { json: string; update: TopologyUpdate } | undefined;

  constructor(private readonly deps: KernelTopologyDeps) {}

  async read(): Promise<TopologyUpdate> {
    const t0 = this.deps.now();
    const names = await this.deps.namespaces.list();
    const snaps = await mapLimit(names, this.deps.concurrency, async (ns) => {
      try {
        return await readNamespace(this.deps.run, ns, 'graph');
      } catch (err) {
        if (err instanceof NamespaceGoneError) return undefined; // deleted between listing and reading
        throw err;
      }
    });
    const graph = buildTopologyGraph(this.deps.namespaces.prefix, snaps.filter((s): s is NamespaceSnapshot => s !== undefined));
    return { graph, readMs: this.deps.now() - t0 };
  }

  subscribe(listener: (u: TopologyUpdate) => void): () => void {
    this.listeners.add(listener);
    if (this.last) listener(this.last.update);
    if (!this.running) {
      this.running = true;
      void this.tick();
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stop();
    };
  }

  private stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.last = undefined;
  }

  private async tick(): Promise<void> {
    if (!this.running) return;
    try {
      const update = await this.read();
      const json = JSON.stringify(update.graph);
      if (this.running && json !== this.last?.json) {
        this.last = { json, update };
        for (const l of this.listeners) l(update);
      }
    } catch (err) {
      this.deps.log(`topology: read failed: ${describeError(err)}`);
    }
    // A chain of timeouts, not setInterval: a slow read never overlaps the next one.
    if (this.running) this.timer = setTimeout(() => void this.tick(), this.deps.intervalMs);
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
