// The Deployment controller: watches Deployments, their ReplicaSets and (for Recreate) their pods,
// and applies one planned rollout step per sync; the ReplicaSet status changes that step causes
// bring the next sync. Events go on the Deployment, as `kubectl describe deploy` shows them.
import type { Deployment, Pod, ReplicaSet } from '../../../common/api-types.js';
import { isAlreadyExists, isConflict, isNotFound } from '../../client/api-errors.js';
import { NamespaceIndex, splitKey } from '../../client/indexer.js';
import type { Informer } from '../../client/informer.js';
import type { Disposer } from '../../client/rest-client.js';
import type { Controller } from '../base-controller.js';
import { QueueWorker, type ReconcileResult } from '../../client/workqueue/queue-worker.js';
import type { ControllerContext } from '../controller-context.js';
import { objectRef, type EventRecorder } from '../events/event-recorder.js';
import { controllerRefOf } from '../util/pods.js';
import { planDeployment, type DeploymentAction } from './deployment-logic.js';
import { equalIgnoreHash } from './deployment-util.js';

export class DeploymentController implements Controller {
  readonly name = 'deployment-controller';
  private readonly worker: QueueWorker;
  private readonly deployments: Informer<Deployment>;
  private readonly replicaSets: Informer<ReplicaSet>;
  private readonly pods: Informer<Pod>;
  private readonly recorder: EventRecorder;

  constructor(private readonly ctx: ControllerContext) {
    this.deployments = ctx.informers.deployments();
    this.replicaSets = ctx.informers.replicaSets();
    this.pods = ctx.informers.pods();
    this.recorder = ctx.recorder(this.name);
    this.worker = new QueueWorker(this.name, ctx.clock, (k) => this.reconcile(k), {
      workers: ctx.workers,
      onError: ctx.onError,
    });
  }

  start(): Disposer {
    const offs = [
      this.deployments.addEventHandler({
        onAdd: (d) => this.worker.enqueue(d),
        onUpdate: (_, d) => this.worker.enqueue(d),
        onDelete: (d) => this.worker.enqueue(d),
      }),
      this.replicaSets.addEventHandler({
        onAdd: (rs) => this.enqueueOwner(rs),
        onUpdate: (old, rs) => {
          this.enqueueOwner(old);
          this.enqueueOwner(rs);
        },
        onDelete: (rs) => this.enqueueOwner(rs),
      }),
      // Recreate waits for the last old pod to be gone, which no ReplicaSet change announces.
      this.pods.addEventHandler({
        onDelete: (p) => {
          const ref = controllerRefOf(p);
          if (ref?.kind !== 'ReplicaSet') return;
          const rs = this.replicaSets.store.getByName(ref.name, p.metadata.namespace);
          if (rs) this.enqueueOwner(rs);
        },
      }),
    ];
    const stop = this.worker.run();
    return () => {
      for (const off of offs) off();
      stop();
    };
  }

  idle(): boolean {
    return this.worker.idle();
  }

  private enqueueOwner(rs: ReplicaSet): void {
    const ref = controllerRefOf(rs);
    if (ref?.kind !== 'Deployment') return;
    this.worker.enqueueKey(`${rs.metadata.namespace}/${ref.name}`);
  }

  private async reconcile(key: string): Promise<ReconcileResult | void> {
    const d = this.deployments.store.get(key);
    if (!d) return;
    const ns = splitKey(key).namespace ?? '';
    const plan = planDeployment(
      d,
      this.replicaSets.store.byIndex(NamespaceIndex, ns),
      this.pods.store.byIndex(NamespaceIndex, ns),
      this.ctx.clock.now(),
    );
    const ref = objectRef(d, 'apps/v1', 'Deployment');
    // The resourceVersion the status write is conditional on: the cached one, or the one this
    // sync's own annotation write produced.
    const at = { resourceVersion: d.metadata.resourceVersion };
    let stale = false;
    for (const a of plan.actions) {
      try {
        await this.apply(d, a, at);
      } catch (err) {
        // The cached Deployment was stale (the status write carries its resourceVersion, as kube's
        // UpdateStatus does): the newer one is on its way through the watch and brings the next
        // sync. Planning from it, not overwriting it, is what lets the status settle.
        if (a.type !== 'updateStatus' || !isConflict(err)) throw err;
        stale = true;
      }
    }
    for (const e of plan.events) this.recorder.event(ref, e.type, e.reason, e.message);
    if (stale) return { requeueAfterMs: 1000 };
    if (plan.requeueAfterMs !== undefined) return { requeueAfterMs: plan.requeueAfterMs };
  }

  private async apply(d: Deployment, a: DeploymentAction, at: { resourceVersion?: string }): Promise<void> {
    const ns = d.metadata.namespace;
    const { client } = this.ctx;
    switch (a.type) {
      case 'createReplicaSet':
        try {
          await client.replicaSets.create(a.rs, ns);
        } catch (err) {
          if (!isAlreadyExists(err)) throw err;
          // Same name, different template: a hash collision. Count it so the next hash differs.
          const existing = await client.replicaSets.get(a.rs.metadata.name!, ns);
          const ours =
            controllerRefOf(existing)?.uid === d.metadata.uid &&
            equalIgnoreHash(existing.spec.template, d.spec.template);
          if (!ours) {
            await client.deployments.patch(
              d.metadata.name!,
              { status: { collisionCount: (d.status?.collisionCount ?? 0) + 1 } },
              'merge',
              { namespace: ns, subresource: 'status' },
            );
          }
          throw err;
        }
        return;
      case 'updateReplicaSet':
        await client.replicaSets.update(a.rs);
        return;
      case 'deleteReplicaSet':
        try {
          await client.replicaSets.delete(a.rs.metadata.name!, ns, { preconditions: { uid: a.rs.metadata.uid } });
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
        return;
      case 'updateDeploymentAnnotations':
        at.resourceVersion = (
          await client.deployments.patch(d.metadata.name!, { metadata: { annotations: a.annotations } }, 'merge', {
            namespace: ns,
          })
        ).metadata.resourceVersion;
        return;
      case 'updateStatus':
        // Conditional on the resourceVersion the plan was made from: an unconditional write from a
        // stale cache put back an older status (its condition times included), and two such
        // writers each answering the other's write rewrote the status without end — while the
        // garbage collector's conditional removal of the `orphan` finalizer lost every race.
        await client.deployments.patch(
          d.metadata.name!,
          { metadata: { resourceVersion: at.resourceVersion }, status: a.status },
          'merge',
          { namespace: ns, subresource: 'status' },
        );
        return;
    }
  }
}
