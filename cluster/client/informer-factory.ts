// Shares one informer (one list+watch, one cache) per resource type among every controller that
// asks for it, as client-go's SharedInformerFactory does. Wired once in the composition root.
import type {
  DaemonSet,
  Deployment,
  EndpointSlice,
  Endpoints,
  Job,
  KubeObject,
  Lease,
  Namespace,
  Node,
  PersistentVolume,
  PersistentVolumeClaim,
  Pod,
  ReplicaSet,
  ReplicationController,
  Service,
  StatefulSet,
} from '../../common/api-types.js';
import type { Clock } from './clock.js';
import { Informer, type InformerOptions } from './informer.js';
import type { KubeClient } from './kube-client.js';
import type { ResourceClient } from './resource-client.js';
import type { Disposer } from './rest-client.js';

export const PodNodeNameIndex = 'spec.nodeName';

export interface FactoryOptions {
  /** Restrict every informer to one namespace (default: all). */
  namespace?: string;
  resyncMs?: number;
  onError?: (err: unknown, context: string) => void;
}

export class SharedInformerFactory {
  private readonly informers = new Map<string, Informer<KubeObject>>();
  private readonly stops = new Map<string, Disposer>();
  private readonly podIndexed = new WeakSet<object>();

  constructor(
    private readonly client: KubeClient,
    private readonly clock: Clock,
    private readonly opts: FactoryOptions = {},
  ) {}

  /**
   * The shared informer for a resource (optionally narrowed by selectors: a different selector is
   * a different informer). Call start() after asking for every informer you need.
   */
  informerFor<T extends KubeObject>(
    rc: ResourceClient<T>,
    extra: Pick<InformerOptions<T>, 'labelSelector' | 'fieldSelector'> = {},
  ): Informer<T> {
    const t = rc.type;
    const key = `${t.group}/${t.version}/${t.resource}?${extra.labelSelector ?? ''}&${extra.fieldSelector ?? ''}`;
    let inf = this.informers.get(key) as Informer<T> | undefined;
    if (!inf) {
      inf = new Informer<T>(rc, this.clock, {
        namespace: this.opts.namespace,
        resyncMs: this.opts.resyncMs,
        onError: this.opts.onError,
        ...extra,
      });
      this.informers.set(key, inf as unknown as Informer<KubeObject>);
    }
    return inf;
  }

  /** Pods, indexed also by spec.nodeName (kubelets and the scheduler ask "pods on node X"). */
  pods(): Informer<Pod> {
    const inf = this.informerFor(this.client.pods);
    if (!this.podIndexed.has(inf)) {
      inf.addIndexers({ [PodNodeNameIndex]: (p) => (p.spec?.nodeName ? [p.spec.nodeName] : []) });
      this.podIndexed.add(inf);
    }
    return inf;
  }
  nodes(): Informer<Node> {
    return this.informerFor(this.client.nodes);
  }
  namespaces(): Informer<Namespace> {
    return this.informerFor(this.client.namespaces);
  }
  services(): Informer<Service> {
    return this.informerFor(this.client.services);
  }
  endpoints(): Informer<Endpoints> {
    return this.informerFor(this.client.endpoints);
  }
  endpointSlices(): Informer<EndpointSlice> {
    return this.informerFor(this.client.endpointSlices);
  }
  deployments(): Informer<Deployment> {
    return this.informerFor(this.client.deployments);
  }
  replicaSets(): Informer<ReplicaSet> {
    return this.informerFor(this.client.replicaSets);
  }
  replicationControllers(): Informer<ReplicationController> {
    return this.informerFor(this.client.replicationControllers);
  }
  daemonSets(): Informer<DaemonSet> {
    return this.informerFor(this.client.daemonSets);
  }
  statefulSets(): Informer<StatefulSet> {
    return this.informerFor(this.client.statefulSets);
  }
  jobs(): Informer<Job> {
    return this.informerFor(this.client.jobs);
  }
  leases(): Informer<Lease> {
    return this.informerFor(this.client.leases);
  }
  persistentVolumes(): Informer<PersistentVolume> {
    return this.informerFor(this.client.persistentVolumes);
  }
  persistentVolumeClaims(): Informer<PersistentVolumeClaim> {
    return this.informerFor(this.client.persistentVolumeClaims);
  }

  /** Starts every informer asked for so far that is not running yet. */
  start(): void {
    for (const [key, inf] of this.informers) {
      if (!this.stops.has(key)) this.stops.set(key, inf.run());
    }
  }

  /** Resolves when every started informer has its first list. */
  async waitForCacheSync(): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.waitForSync()));
  }

  /** Stops every informer; the factory can not be restarted. */
  shutdown(): void {
    for (const stop of this.stops.values()) stop();
    for (const inf of this.informers.values()) inf.stop();
  }
}
