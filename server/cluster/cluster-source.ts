// The cluster tables' data: one informer per kind (list, then watch, through cluster/client) on the
// lab's apiserver; listeners get a fresh snapshot at most every `debounceMs` after a change. A kind's
// informer error is shown until that kind lists again or hears an event.
import YAML from 'yaml';
import type { KubeObject } from '../../common/api-types.js';
import { CLUSTER_KINDS, type ClusterKind, type ClusterSnapshot } from '../../common/cluster-contract.js';
import { describeError, KubewireError } from '../../common/errors.js';
import type { Clock } from '../../cluster/client/clock.js';
import { Informer, type ListerWatcher } from '../../cluster/client/informer.js';
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
  private cancelTimer: (() => void) | undefined;
  /** The last retried failure of each kind whose informer has not listed or heard an event since. */
  private readonly errors = new Map<ClusterKind, string>();

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
    const clients = {
      nodes: c.nodes,
      pods: c.pods,
      deployments: c.deployments,
      replicasets: c.replicaSets,
      services: c.services,
      endpoints: c.endpoints,
      events: c.events,
    };
    const informers = new Map<ClusterKind, Informer<KubeObject>>();
    this.informers = informers;
    const live = () => this.informers === informers;
    for (const k of CLUSTER_KINDS) {
      const news = () => {
        if (live()) this.changed(k);
      };
      const inf = new Informer<KubeObject>(clients[k] as unknown as ListerWatcher<KubeObject>, this.d.clock, {
        onError: (err, context) => {
          if (!live()) return;
          this.errors.set(k, `${context}: ${describeError(err)}`);
          this.schedule();
        },
        // A list that reached the cache says this kind works again, even when it changed nothing
        // (a kind that lists empty fires no event); and when it is the last kind to sync, only this
        // tells the listeners that the tables are complete ("watching").
        onListed: news,
      });
      inf.addEventHandler({ onAdd: news, onUpdate: news, onDelete: news });
      informers.set(k, inf);
    }
    for (const inf of informers.values()) inf.run();
  }

  private stop(): void {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    for (const inf of this.informers?.values() ?? []) inf.stop();
    this.informers = undefined;
    this.errors.clear();
  }

  /** News from a kind's informer (an event, a list): whatever failed there before works now. */
  private changed(kind: ClusterKind): void {
    this.errors.delete(kind);
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
    if (this.errors.size) {
      // One line per distinct failure, naming the kinds it hit (an apiserver that is down fails all).
      const byMessage = new Map<string, ClusterKind[]>();
      for (const k of CLUSTER_KINDS) {
        const e = this.errors.get(k);
        if (e !== undefined) byMessage.set(e, [...(byMessage.get(e) ?? []), k]);
      }
      s.error = [...byMessage].map(([e, kinds]) => `${kinds.join(', ')} ${e}`).join('; ');
    }
    return s;
  }
}
