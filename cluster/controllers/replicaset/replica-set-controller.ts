// The ReplicaSet controller, and with kind ReplicationController the replication manager (kube runs
// the same code for both): pods are created from the template and deleted until the count matches,
// with expectations so a sync never acts on a cache that has not yet seen its own last writes.
import type { KubeObject, Pod, ReplicaSet, ReplicationController } from '../../../common/api-types.js';
import { isAlreadyExists, isNotFound } from '../../client/api-errors.js';
import { NamespaceIndex, objectKey, splitKey } from '../../client/indexer.js';
import type { Informer } from '../../client/informer.js';
import type { ResourceClient } from '../../client/resource-client.js';
import type { Disposer } from '../../client/rest-client.js';
import { KubewireError } from '../../../common/errors.js';
import { ANNOTATION_PINNED_PODS } from '../../../common/topology/pod-pins.js';
import type { Controller } from '../base-controller.js';
import { QueueWorker, type ReconcileResult } from '../../client/workqueue/queue-worker.js';
import type { ControllerContext } from '../controller-context.js';
import { objectRef, type EventRecorder } from '../events/event-recorder.js';
import { Expectations } from '../util/expectations.js';
import { stableJson } from '../util/hash.js';
import { matchesSelector } from '../util/labels.js';
import { controllerRefOf, isPodReady, podFromTemplate } from '../util/pods.js';
import {
  fromReplicaSet,
  fromReplicationController,
  planReplicas,
  slowStartBatches,
  type ReplicaOwner,
} from './replica-set-logic.js';
import { applyPin, pinsOf, planPinnedCreates } from './pinned-pods.js';

export class ReplicaSyncError extends KubewireError {}

type Owner = ReplicaSet | ReplicationController;

export class ReplicaSetController implements Controller {
  readonly name: string;
  private readonly worker: QueueWorker;
  private readonly expectations: Expectations;
  private readonly owners: Informer<Owner>;
  private readonly pods: Informer<Pod>;
  private readonly ownerClient: ResourceClient<Owner>;
  private readonly recorder: EventRecorder;
  private readonly toOwner: (o: Owner) => ReplicaOwner;

  constructor(
    private readonly ctx: ControllerContext,
    readonly kind: 'ReplicaSet' | 'ReplicationController' = 'ReplicaSet',
  ) {
    const rs = kind === 'ReplicaSet';
    this.name = rs ? 'replicaset-controller' : 'replication-controller';
    this.owners = (rs ? ctx.informers.replicaSets() : ctx.informers.replicationControllers()) as Informer<Owner>;
    this.ownerClient = (rs ? ctx.client.replicaSets : ctx.client.replicationControllers) as ResourceClient<Owner>;
    this.toOwner = rs
      ? (o) => fromReplicaSet(o as ReplicaSet)
      : (o) => fromReplicationController(o as ReplicationController);
    this.pods = ctx.informers.pods();
    this.expectations = new Expectations(ctx.clock);
    this.recorder = ctx.recorder(this.name);
    this.worker = new QueueWorker(this.name, ctx.clock, (k) => this.reconcile(k), {
      workers: ctx.workers,
      onError: ctx.onError,
    });
  }

  start(): Disposer {
    const offOwners = this.owners.addEventHandler({
      onAdd: (o) => this.worker.enqueue(o),
      onUpdate: (_, o) => this.worker.enqueue(o),
      onDelete: (o) => {
        this.expectations.delete(objectKey(o));
        this.worker.enqueue(o);
      },
    });
    const offPods = this.pods.addEventHandler({
      onAdd: (p) => {
        const key = this.ownerKey(p);
        if (key) {
          this.expectations.creationObserved(key);
          this.worker.enqueueKey(key);
        } else this.enqueueMatching(p);
      },
      onUpdate: (old, p) => {
        const a = this.ownerKey(old);
        const b = this.ownerKey(p);
        if (a && a !== b) this.worker.enqueueKey(a);
        if (b) this.worker.enqueueKey(b);
        else this.enqueueMatching(p);
        // A pod that just became ready counts as available only after minReadySeconds.
        if (b && !isPodReady(old) && isPodReady(p)) {
          const o = this.owners.store.get(b);
          const secs = o ? this.toOwner(o).minReadySeconds : 0;
          if (secs > 0) this.worker.enqueueAfter(b, secs * 1000 + 1000);
        }
      },
      onDelete: (p) => {
        const key = this.ownerKey(p);
        if (!key) return;
        this.expectations.deletionObserved(key);
        this.worker.enqueueKey(key);
      },
    });
    const stop = this.worker.run();
    return () => {
      offOwners();
      offPods();
      stop();
    };
  }

  idle(): boolean {
    return this.worker.idle();
  }

  private ownerKey(p: Pod): string | undefined {
    const ref = controllerRefOf(p);
    if (!ref || ref.kind !== this.kind) return undefined;
    const key = `${p.metadata.namespace}/${ref.name}`;
    const o = this.owners.store.get(key);
    return o && o.metadata.uid === ref.uid ? key : undefined;
  }

  private enqueueMatching(p: Pod): void {
    if (p.metadata.deletionTimestamp) return;
    for (const o of this.owners.store.byIndex(NamespaceIndex, p.metadata.namespace ?? '')) {
      if (matchesSelector(this.toOwner(o).selector, p.metadata.labels)) this.worker.enqueue(o);
    }
  }

  private async reconcile(key: string): Promise<ReconcileResult | void> {
    const cached = this.owners.store.get(key);
    if (!cached) {
      this.expectations.delete(key);
      return;
    }
    const { namespace } = splitKey(key);
    const o = this.toOwner(cached);
    const pods = this.pods.store.byIndex(NamespaceIndex, namespace ?? '');
    const plan = planReplicas(o, pods, this.ctx.clock.now());
    const ref = objectRef(cached, o.apiVersion, o.kind);
    let failure: unknown;
    let waitingForPins = 0;
    try {
      for (const p of plan.adopt) await this.patchOwners(p, [...(p.metadata.ownerReferences ?? []), plan.ref]);
      for (const p of plan.release)
        await this.patchOwners(
          p,
          (p.metadata.ownerReferences ?? []).filter((r) => r.uid !== cached.metadata.uid),
        );
      if (this.expectations.satisfied(key)) {
        if (plan.create > 0) waitingForPins = await this.createPods(key, o, plan.create, plan.ref, ref, pods);
        else if (plan.delete.length > 0) await this.deletePods(key, plan.delete, ref);
      }
    } catch (err) {
      failure = err;
    }
    await this.writeStatus(cached, plan.status);
    if (failure) throw failure;
    // A pinned pod is still terminating: its replacement takes its name once it is gone.
    if (waitingForPins > 0) return { requeueAfterMs: 1000 };
    // Pods ready but not yet available: look again when minReadySeconds will have passed.
    if (o.minReadySeconds > 0 && plan.status.readyReplicas > plan.status.availableReplicas)
      return { requeueAfterMs: 1000 };
  }

  private async patchOwners(p: Pod, refs: KubeObject['metadata']['ownerReferences']): Promise<void> {
    try {
      await this.ctx.client.pods.patch(
        p.metadata.name!,
        { metadata: { uid: p.metadata.uid, ownerReferences: refs && refs.length ? refs : null } },
        'merge',
        { namespace: p.metadata.namespace },
      );
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /** Creates up to `wanted` pods (pinned identities first); returns how many wait for a pin. */
  private async createPods(
    key: string,
    o: ReplicaOwner,
    wanted: number,
    ownerRef: ReturnType<typeof planReplicas>['ref'],
    ref: ReturnType<typeof objectRef>,
    pods: Pod[],
  ): Promise<number> {
    const pins = planPinnedCreates(
      pinsOf(o.obj, (e) => this.ctx.onError(e, `${this.kind} ${key}: ${ANNOTATION_PINNED_PODS}`)),
      pods,
      o.obj.metadata.uid,
      wanted,
    );
    const template = podFromTemplate(o.template, o.obj, ownerRef);
    const queue = [
      ...pins.pinned.map((pin) => applyPin(template, pin)),
      ...Array.from({ length: pins.ordinary }, () => template),
    ];
    const count = queue.length;
    if (count === 0) return pins.waiting;
    this.expectations.expect(key, count, 0);
    let left = count;
    for (const batch of slowStartBatches(count)) {
      const results = await Promise.allSettled(
        queue.splice(0, batch).map((pod) => this.ctx.client.pods.create(pod, o.obj.metadata.namespace)),
      );
      left -= batch;
      const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      for (const r of results) {
        if (r.status === 'fulfilled')
          this.recorder.event(ref, 'Normal', 'SuccessfulCreate', `Created pod: ${r.value.metadata.name}`);
      }
      if (failed.length) {
        // Neither the failed creates nor the batches never started will be observed.
        this.expectations.lowerExpectations(key, failed.length + left, 0);
        const msg = failed[0]!.reason instanceof Error ? failed[0]!.reason.message : String(failed[0]!.reason);
        // kube stays quiet when the namespace is being deleted: that failure is expected.
        if (!msg.includes('because it is being terminated'))
          this.recorder.event(ref, 'Warning', 'FailedCreate', `Error creating: ${msg}`);
        throw new ReplicaSyncError(`${this.kind} ${key}: ${failed.length} of ${batch} pod creates failed`, {
          cause: failed[0]!.reason,
        });
      }
    }
    return pins.waiting;
  }

  private async deletePods(key: string, pods: Pod[], ref: ReturnType<typeof objectRef>): Promise<void> {
    this.expectations.expect(key, 0, pods.length);
    const results = await Promise.allSettled(
      pods.map((p) => this.ctx.client.pods.delete(p.metadata.name!, p.metadata.namespace)),
    );
    let firstErr: unknown;
    results.forEach((r, i) => {
      const name = pods[i]!.metadata.name;
      if (r.status === 'fulfilled') this.recorder.event(ref, 'Normal', 'SuccessfulDelete', `Deleted pod: ${name}`);
      else {
        this.expectations.deletionObserved(key);
        if (!isNotFound(r.reason)) {
          firstErr ??= r.reason;
          this.recorder.event(
            ref,
            'Warning',
            'FailedDelete',
            `Error deleting: ${r.reason instanceof Error ? r.reason.message : String(r.reason)}`,
          );
        }
      }
    });
    if (firstErr) throw new ReplicaSyncError(`${this.kind} ${key}: pod deletes failed`, { cause: firstErr });
  }

  private async writeStatus(o: Owner, status: ReturnType<typeof planReplicas>['status']): Promise<void> {
    const cur = o.status ?? {};
    const next = { ...cur, ...status };
    if (stableJson(next) === stableJson(cur)) return;
    try {
      await this.ownerClient.patch(o.metadata.name!, { status }, 'merge', {
        namespace: o.metadata.namespace,
        subresource: 'status',
      });
    } catch (err) {
      if (!isNotFound(err) && !isAlreadyExists(err)) throw err;
    }
  }
}
