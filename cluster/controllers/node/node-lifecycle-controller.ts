// The node lifecycle controller: every node is looked at each monitor period (silence produces no
// watch event, so time has to be polled), and again on any change to the node, its Lease or its pods.
import type { Lease, Node, Pod } from '../../../common/api-types.js';
import { isNotFound } from '../../client/api-errors.js';
import { PodNodeNameIndex } from '../../client/informer-factory.js';
import type { Informer } from '../../client/informer.js';
import type { Disposer } from '../../client/rest-client.js';
import type { Controller } from '../base-controller.js';
import { QueueWorker, type ReconcileResult } from '../../client/workqueue/queue-worker.js';
import type { ControllerContext } from '../controller-context.js';
import { objectRef, type EventRecorder } from '../events/event-recorder.js';
import { planEvictions, planNodeHealth } from './node-lifecycle-logic.js';

export const NodeLeaseNamespace = 'kube-node-lease';

export interface NodeLifecycleSettings {
  /** --node-monitor-grace-period (default 40 s). */
  gracePeriodMs?: number;
  /** --node-monitor-period (default 5 s). */
  monitorPeriodMs?: number;
}

export class NodeLifecycleController implements Controller {
  readonly name = 'node-lifecycle-controller';
  private readonly worker: QueueWorker;
  private readonly nodes: Informer<Node>;
  private readonly leases: Informer<Lease>;
  private readonly pods: Informer<Pod>;
  private readonly recorder: EventRecorder;
  private readonly evictRecorder: EventRecorder;
  private readonly gracePeriodMs: number;
  private readonly monitorPeriodMs: number;

  constructor(
    private readonly ctx: ControllerContext,
    settings: NodeLifecycleSettings = {},
  ) {
    this.nodes = ctx.informers.nodes();
    this.leases = ctx.informers.leases();
    this.pods = ctx.informers.pods();
    this.recorder = ctx.recorder('node-controller');
    this.evictRecorder = ctx.recorder('taint-eviction-controller');
    this.gracePeriodMs = settings.gracePeriodMs ?? 40_000;
    this.monitorPeriodMs = settings.monitorPeriodMs ?? 5_000;
    this.worker = new QueueWorker(this.name, ctx.clock, (k) => this.reconcile(k), {
      workers: ctx.workers,
      onError: ctx.onError,
    });
  }

  start(): Disposer {
    const offs = [
      this.nodes.addEventHandler({ onAdd: (n) => this.worker.enqueue(n), onUpdate: (_, n) => this.worker.enqueue(n) }),
      this.leases.addEventHandler({
        onAdd: (l) => {
          if (l.metadata.namespace === NodeLeaseNamespace) this.worker.enqueueKey(l.metadata.name!);
        },
        onUpdate: (_, l) => {
          if (l.metadata.namespace === NodeLeaseNamespace) this.worker.enqueueKey(l.metadata.name!);
        },
      }),
      this.pods.addEventHandler({
        onAdd: (p) => {
          if (p.spec.nodeName) this.worker.enqueueKey(p.spec.nodeName);
        },
        onUpdate: (o, p) => {
          if (p.spec.nodeName && !o.spec.nodeName) this.worker.enqueueKey(p.spec.nodeName);
        },
      }),
    ];
    const stop = this.worker.run();
    return () => {
      for (const o of offs) o();
      stop();
    };
  }

  idle(): boolean {
    return this.worker.idle();
  }

  private async reconcile(name: string): Promise<ReconcileResult | void> {
    const node = this.nodes.store.get(name);
    if (!node) return;
    const now = this.ctx.clock.now();
    const lease = this.leases.store.getByName(name, NodeLeaseNamespace);
    const plan = planNodeHealth(node, lease, now, { gracePeriodMs: this.gracePeriodMs });
    const { client } = this.ctx;
    const ref = objectRef(node, 'v1', 'Node');
    if (plan.conditions) {
      await client.nodes.patch(name, { status: { conditions: plan.conditions } }, 'merge', { subresource: 'status' });
      if (plan.event)
        this.recorder.event({ ...ref, namespace: undefined }, 'Normal', plan.event.reason, plan.event.message);
    }
    let taints = node.spec?.taints ?? [];
    if (plan.taints) {
      taints = plan.taints;
      await client.nodes.patch(
        name,
        {
          metadata: { resourceVersion: node.metadata.resourceVersion },
          spec: { taints: plan.taints.length ? plan.taints : null },
        },
        'merge',
      );
    }
    const decision = planEvictions(taints, this.pods.store.byIndex(PodNodeNameIndex, name), now);
    for (const p of decision.evict) {
      this.evictRecorder.event(
        objectRef(p, 'v1', 'Pod'),
        'Normal',
        'TaintManagerEviction',
        `Marking for deletion Pod ${p.metadata.namespace}/${p.metadata.name}`,
      );
      await client.pods
        .delete(p.metadata.name!, p.metadata.namespace, { preconditions: { uid: p.metadata.uid } })
        .catch((e) => {
          if (!isNotFound(e)) throw e;
        });
    }
    return { requeueAfterMs: Math.min(this.monitorPeriodMs, decision.recheckAfterMs ?? Infinity) };
  }
}
