// The service controller with the emulated cloud provider: a Service of type LoadBalancer gets an
// address from the pool in status.loadBalancer.ingress (spec.loadBalancerIP honoured when it is in
// the pool and free), the `service.kubernetes.io/load-balancer-cleanup` finalizer while it holds
// one, and the events kube's service controller writes (EnsuringLoadBalancer, EnsuredLoadBalancer,
// DeletingLoadBalancer, DeletedLoadBalancer, SyncLoadBalancerFailed).
import type { Service } from '../../../common/api-types.js';
import { isNotFound } from '../../client/api-errors.js';
import type { Informer } from '../../client/informer.js';
import type { Disposer } from '../../client/rest-client.js';
import type { Controller } from '../base-controller.js';
import { QueueWorker } from '../../client/workqueue/queue-worker.js';
import type { ControllerContext } from '../controller-context.js';
import { objectRef, type EventRecorder } from '../events/event-recorder.js';
import { AddressPool } from './address-pool.js';

export const LoadBalancerCleanupFinalizer = 'service.kubernetes.io/load-balancer-cleanup';

export function wantsLoadBalancer(s: Service): boolean {
  return s.spec.type === 'LoadBalancer' && !s.metadata.deletionTimestamp;
}

export class ServiceLoadBalancerController implements Controller {
  readonly name = 'service-lb-controller';
  private readonly worker: QueueWorker;
  private readonly services: Informer<Service>;
  private readonly recorder: EventRecorder;
  /** Addresses handed out by this controller (service uid → ip): the cache may not show them yet. */
  private readonly allocated = new Map<string, string>();

  constructor(
    private readonly ctx: ControllerContext,
    private readonly pool: AddressPool,
  ) {
    this.services = ctx.informers.services();
    this.recorder = ctx.recorder('service-controller');
    // One worker: allocation reads every Service's address, so two at once could hand out one twice.
    this.worker = new QueueWorker(this.name, ctx.clock, (k) => this.reconcile(k), { workers: 1, onError: ctx.onError });
  }

  start(): Disposer {
    const relevant = (s: Service) =>
      s.spec.type === 'LoadBalancer' ||
      (s.status?.loadBalancer?.ingress?.length ?? 0) > 0 ||
      (s.metadata.finalizers ?? []).includes(LoadBalancerCleanupFinalizer);
    const off = this.services.addEventHandler({
      onAdd: (s) => {
        if (relevant(s)) this.worker.enqueue(s);
      },
      onUpdate: (old, s) => {
        if (relevant(s) || relevant(old)) this.worker.enqueue(s);
        // A freed address may let a waiting Service in.
        if (!wantsLoadBalancer(s) && relevant(old))
          for (const x of this.services.store.list())
            if (wantsLoadBalancer(x) && !x.status?.loadBalancer?.ingress?.length) this.worker.enqueue(x);
      },
      onDelete: (gone) => {
        this.allocated.delete(gone.metadata.uid ?? '');
        for (const x of this.services.store.list())
          if (wantsLoadBalancer(x) && !x.status?.loadBalancer?.ingress?.length) this.worker.enqueue(x);
      },
    });
    const stop = this.worker.run();
    return () => {
      off();
      stop();
    };
  }

  idle(): boolean {
    return this.worker.idle();
  }

  private inUse(except: Service): Set<string> {
    const used = new Set<string>();
    for (const s of this.services.store.list()) {
      if (s.metadata.uid === except.metadata.uid) continue;
      for (const i of s.status?.loadBalancer?.ingress ?? []) if (i.ip) used.add(i.ip);
    }
    const live = new Set(this.services.store.list().map((s) => s.metadata.uid));
    for (const [uid, ip] of this.allocated) {
      if (!live.has(uid)) this.allocated.delete(uid);
      else if (uid !== except.metadata.uid) used.add(ip);
    }
    return used;
  }

  private async reconcile(key: string): Promise<void> {
    const s = this.services.store.get(key);
    if (!s) return;
    const ref = objectRef(s, 'v1', 'Service');
    const { client } = this.ctx;
    const ns = s.metadata.namespace;
    const has = s.status?.loadBalancer?.ingress ?? [];
    const fins = s.metadata.finalizers ?? [];
    if (!wantsLoadBalancer(s)) {
      this.allocated.delete(s.metadata.uid ?? '');
      if (has.length === 0 && !fins.includes(LoadBalancerCleanupFinalizer)) return;
      this.recorder.event(ref, 'Normal', 'DeletingLoadBalancer', 'Deleting load balancer');
      let rv = s.metadata.resourceVersion;
      if (has.length) {
        const cleared = await client.services
          .patch(s.metadata.name!, { status: { loadBalancer: { ingress: null } } }, 'merge', {
            namespace: ns,
            subresource: 'status',
          })
          .catch((e) => {
            if (!isNotFound(e)) throw e;
          });
        rv = cleared?.metadata.resourceVersion ?? rv;
      }
      if (fins.includes(LoadBalancerCleanupFinalizer)) {
        const rest = fins.filter((f) => f !== LoadBalancerCleanupFinalizer);
        await client.services
          .patch(
            s.metadata.name!,
            { metadata: { resourceVersion: rv, finalizers: rest.length ? rest : null } },
            'merge',
            { namespace: ns },
          )
          .catch((e) => {
            if (!isNotFound(e)) throw e;
          });
      }
      this.recorder.event(ref, 'Normal', 'DeletedLoadBalancer', 'Deleted load balancer');
      return;
    }
    const used = this.inUse(s);
    const mine = this.allocated.get(s.metadata.uid ?? '');
    const current = mine ?? has.find((i) => i.ip && this.pool.contains(i.ip) && !used.has(i.ip))?.ip;
    const requested = s.spec.loadBalancerIP;
    if (
      current &&
      (!requested || requested === current) &&
      has.length === 1 &&
      has[0]!.ip === current &&
      fins.includes(LoadBalancerCleanupFinalizer)
    )
      return;
    this.recorder.event(ref, 'Normal', 'EnsuringLoadBalancer', 'Ensuring load balancer');
    let ip: string | undefined;
    if (requested) {
      if (!this.pool.contains(requested) || used.has(requested)) {
        const why = !this.pool.contains(requested)
          ? `requested ip ${requested} is not in the load balancer address pool`
          : `requested ip ${requested} is already in use`;
        this.recorder.event(
          ref,
          'Warning',
          'SyncLoadBalancerFailed',
          `Error syncing load balancer: failed to ensure load balancer: ${why}`,
        );
        return;
      }
      ip = requested;
    } else ip = current ?? this.pool.allocate(used);
    if (!ip) {
      this.recorder.event(
        ref,
        'Warning',
        'SyncLoadBalancerFailed',
        'Error syncing load balancer: failed to ensure load balancer: no addresses left in the load balancer address pool',
      );
      return;
    }
    this.allocated.set(s.metadata.uid ?? '', ip);
    if (!fins.includes(LoadBalancerCleanupFinalizer)) {
      await client.services.patch(
        s.metadata.name!,
        {
          metadata: {
            resourceVersion: s.metadata.resourceVersion,
            finalizers: [...fins, LoadBalancerCleanupFinalizer],
          },
        },
        'merge',
        { namespace: ns },
      );
    }
    await client.services.patch(
      s.metadata.name!,
      { status: { loadBalancer: { ingress: [{ ip, ipMode: 'VIP' }] } } },
      'merge',
      { namespace: ns, subresource: 'status' },
    );
    this.recorder.event(ref, 'Normal', 'EnsuredLoadBalancer', 'Ensured load balancer');
  }
}
