// The StatefulSet controller: StatefulSets and their pods feed one queue; each sync applies the
// planned ordered steps with kube's event messages ("create Pod web-0 in StatefulSet web successful").
import type { PersistentVolumeClaim, Pod, StatefulSet } from '../../../common/api-types.js';
import { isAlreadyExists, isNotFound } from '../../client/api-errors.js';
import { NamespaceIndex } from '../../client/indexer.js';
import type { Informer } from '../../client/informer.js';
import type { Disposer } from '../../client/rest-client.js';
import type { Controller } from '../base-controller.js';
import { QueueWorker } from '../../client/workqueue/queue-worker.js';
import type { ControllerContext } from '../controller-context.js';
import { objectRef, type EventRecorder } from '../events/event-recorder.js';
import { stableJson } from '../util/hash.js';
import { controllerRefOf } from '../util/pods.js';
import { planStatefulSet } from './stateful-set-logic.js';

export class StatefulSetController implements Controller {
  readonly name = 'statefulset-controller';
  private readonly worker: QueueWorker;
  private readonly sets: Informer<StatefulSet>;
  private readonly pods: Informer<Pod>;
  private readonly claims: Informer<PersistentVolumeClaim>;
  private readonly recorder: EventRecorder;

  constructor(private readonly ctx: ControllerContext) {
    this.sets = ctx.informers.statefulSets();
    this.pods = ctx.informers.pods();
    this.claims = ctx.informers.persistentVolumeClaims();
    this.recorder = ctx.recorder(this.name);
    this.worker = new QueueWorker(this.name, ctx.clock, (k) => this.reconcile(k), {
      workers: ctx.workers,
      onError: ctx.onError,
    });
  }

  start(): Disposer {
    const owner = (p: Pod) => {
      const ref = controllerRefOf(p);
      if (ref?.kind === 'StatefulSet') this.worker.enqueueKey(`${p.metadata.namespace}/${ref.name}`);
    };
    const offs = [
      this.sets.addEventHandler({
        onAdd: (s) => this.worker.enqueue(s),
        onUpdate: (_, s) => this.worker.enqueue(s),
        onDelete: (s) => this.worker.enqueue(s),
      }),
      this.pods.addEventHandler({ onAdd: owner, onUpdate: (_, p) => owner(p), onDelete: owner }),
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

  private async reconcile(key: string): Promise<void> {
    const set = this.sets.store.get(key);
    if (!set) return;
    const ns = set.metadata.namespace ?? '';
    const plan = planStatefulSet(
      set,
      this.pods.store.byIndex(NamespaceIndex, ns),
      this.claims.store.byIndex(NamespaceIndex, ns),
    );
    const ref = objectRef(set, 'apps/v1', 'StatefulSet');
    const setName = set.metadata.name;
    for (const a of plan.actions) {
      if (a.type === 'createClaim') {
        try {
          await this.ctx.client.persistentVolumeClaims.create(a.claim, ns);
          this.recorder.event(
            ref,
            'Normal',
            'SuccessfulCreate',
            `create Claim ${a.claim.metadata.name} Pod ${a.pod} in StatefulSet ${setName} success`,
          );
        } catch (err) {
          if (isAlreadyExists(err)) continue;
          this.recorder.event(
            ref,
            'Warning',
            'FailedCreate',
            `create Claim ${a.claim.metadata.name} for Pod ${a.pod} in StatefulSet ${setName} failed error: ${err instanceof Error ? err.message : err}`,
          );
          throw err;
        }
      } else if (a.type === 'createPod') {
        try {
          await this.ctx.client.pods.create(a.pod, ns);
          this.recorder.event(
            ref,
            'Normal',
            'SuccessfulCreate',
            `create Pod ${a.pod.metadata.name} in StatefulSet ${setName} successful`,
          );
        } catch (err) {
          if (isAlreadyExists(err)) continue;
          this.recorder.event(
            ref,
            'Warning',
            'FailedCreate',
            `create Pod ${a.pod.metadata.name} in StatefulSet ${setName} failed error: ${err instanceof Error ? err.message : err}`,
          );
          throw err;
        }
      } else {
        try {
          await this.ctx.client.pods.delete(a.pod.metadata.name!, ns, { preconditions: { uid: a.pod.metadata.uid } });
          this.recorder.event(
            ref,
            'Normal',
            'SuccessfulDelete',
            `delete Pod ${a.pod.metadata.name} in StatefulSet ${setName} successful`,
          );
        } catch (err) {
          if (isNotFound(err)) continue;
          this.recorder.event(
            ref,
            'Warning',
            'FailedDelete',
            `delete Pod ${a.pod.metadata.name} in StatefulSet ${setName} failed error: ${err instanceof Error ? err.message : err}`,
          );
          throw err;
        }
      }
    }
    const cur = set.status ?? {};
    if (stableJson({ ...cur, ...plan.status }) !== stableJson(cur)) {
      try {
        await this.ctx.client.statefulSets.patch(set.metadata.name!, { status: plan.status }, 'merge', {
          namespace: ns,
          subresource: 'status',
        });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }
}
