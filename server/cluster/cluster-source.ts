// The cluster tables' data: one informer per kind (list, then watch, through cluster/client) on the
// lab's apiserver; listeners get a fresh snapshot at most every `debounceMs` after a change.
import YAML from 'yaml';
import type { KubeObject } from '../../common/api-types.js';
import { CLUSTER_KINDS, type ClusterKind, type ClusterSnapshot } from '../../common/cluster-contract.js';
import { describeError, KubewireError } from '../../common/errors.js';
import type { Clock } from '../../cluster/client/clock.js';
import { SharedInformerFactory } from '../../cluster/client/informer-factory.js';
import type { Informer } from '../../cluster/client/informer.js';
import type { KubeClient } from '../../cluster/client/kube-client.js';
import { clusterTable } from './table-rows.js';

export interface ClusterSource {
  subscribe(listener: (s: ClusterSnapshot) => void): () => void;
  /** One cached object as YAML (what `kubectl get -o yaml` prints). */
  yaml(kind: ClusterKind, namespace: string | undefined, name: string): string;
}

export class ClusterUnavailable extends KubewireError {}

/** When no apiserver is configured: says so, and why. */
export class NoCluster implements ClusterSource {
  constructor(private readonly reason: string) {}
  subscribe(listener: (s: ClusterSnapshot) => void): () => void {
    listener({ synced: false, error: this.reason, tables: [] });
    return () => {};
  }
  yaml(): string {
    throw new ClusterUnavailable(this.reason);
  }
}

export class KubeClusterSource implements ClusterSource {
  private readonly listeners = new Set<(s: ClusterSnapshot) => void>();
  private informers: Map<ClusterKind, Informer<KubeObject>> | undefined;
  private factory: SharedInformerFactory | undefined;
  private cancelTimer: (() => void) | undefined;
  private lastError: string | undefined;

  constructor(
    private readonly client: KubeClient,
    private readonly d: { clock: Clock; server: string; debounceMs: number },
  ) {}

  subscribe(listener: (s: ClusterSnapshot) => void): () => void {
    this.listeners.add(listener);
    if (!this.informers) this.start();
    listener(this.snapshot());
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stop();
    };
  }

  yaml(kind: ClusterKind, namespace: string | undefined, name: string): string {
    const inf = this.informers?.get(kind);
    if (!inf) throw new ClusterUnavailable('the cluster tables are not being watched (open the Cluster view)');
    const obj = inf.store
      .list()
      .find((o) => o.metadata.name === name && (o.metadata.namespace ?? undefined) === namespace);
    if (!obj) throw new ClusterUnavailable(`no ${kind} ${namespace ? `${namespace}/` : ''}${name} in the apiserver`);
    // kubectl's order: apiVersion, kind, metadata, then the rest.
    const { apiVersion, kind: k, metadata, ...rest } = obj as KubeObject & Record<string, unknown>;
    return YAML.stringify({ apiVersion, kind: k, metadata, ...rest });
  }

  private start(): void {
    const c = this.client;
    this.factory = new SharedInformerFactory(c, this.d.clock, {
      onError: (err, context) => {
        this.lastError = `${context}: ${describeError(err)}`;
        this.schedule();
      },
    });
    const f = this.factory;
    const clients = {
      nodes: c.nodes,
      pods: c.pods,
      deployments: c.deployments,
      replicasets: c.replicaSets,
      services: c.services,
      endpoints: c.endpoints,
      events: c.events,
    };
    this.informers = new Map(
      CLUSTER_KINDS.map((k) => [k, f.informerFor(clients[k] as never) as unknown as Informer<KubeObject>]),
    );
    const informers = this.informers;
    for (const inf of informers.values()) {
      inf.addEventHandler({
        onAdd: () => this.changed(),
        onUpdate: () => this.changed(),
        onDelete: () => this.changed(),
      });
      // A kind that lists empty fires no event, yet its sync is news: when it is the last kind to
      // sync, only this tells the listeners that the tables are complete ("watching").
      void inf.waitForSync().then(() => {
        if (this.informers === informers) this.schedule();
      });
    }
    f.start();
  }

  private stop(): void {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.factory?.shutdown();
    this.factory = undefined;
    this.informers = undefined;
  }

  private changed(): void {
    this.lastError = undefined;
    this.schedule();
  }

  private schedule(): void {
    if (this.cancelTimer) return;
    this.cancelTimer = this.d.clock.setTimer(() => {
      this.cancelTimer = undefined;
      const s = this.snapshot();
      for (const l of this.listeners) l(s);
    }, this.d.debounceMs);
  }

  private snapshot(): ClusterSnapshot {
    const now = this.d.clock.now();
    const infs = this.informers;
    const tables = infs ? CLUSTER_KINDS.map((k) => clusterTable(k, infs.get(k)!.store.list(), now)) : [];
    const s: ClusterSnapshot = {
      server: this.d.server,
      synced: !!infs && [...infs.values()].every((i) => i.hasSynced()),
      tables,
    };
    if (this.lastError) s.error = this.lastError;
    return s;
  }
}
