// The DaemonSet controller: DaemonSets, nodes and pods feed one queue of DaemonSet keys.
import type { DaemonSet, Node, Pod } from '../../../common/api-types.js';
import { isNotFound } from '../../client/api-errors.js';
import { NamespaceIndex } from '../../client/indexer.js';
import type { Informer } from '../../client/informer.js';
import type { Disposer } from '../../client/rest-client.js';
import type { Controller } from '../base-controller.js';
import { QueueWorker } from '../../client/workqueue/queue-worker.js';
import type { ControllerContext } from '../controller-context.js';
import { objectRef } from '../events/event-recorder.js';
import { Expectations } from '../util/expectations.js';
import { stableJson } from '../util/hash.js';
import { controllerRefOf, newControllerRef, podFromTemplate } from '../util/pods.js';
import { PodControl } from '../util/pod-control.js';
import { daemonPodSpec, planDaemonSet, RevisionHashLabel } from './daemon-set-logic.js';

export class DaemonSetController implements Controller {
  readonly name = 'daemonset-controller';
  private readonly worker: QueueWorker;
  private readonly sets: Informer<DaemonSet>;
  private readonly nodes: Informer<Node>;
  private readonly pods: Informer<Pod>;
  private readonly podControl: PodControl;
  private readonly expectations: Expectations;

  constructor(private readonly ctx: ControllerContext) {
    this.sets = ctx.informers.daemonSets();
    this.nodes = ctx.informers.nodes();
    this.pods = ctx.informers.pods();
    this.podControl = new PodControl(ctx.client, ctx.recorder(this.name));
    this.expectations = new Expectations(ctx.clock);
    this.worker = new QueueWorker(this.name, ctx.clock, (k) => this.reconcile(k), {
      workers: ctx.workers,
      onError: ctx.onError,
    });
  }

  start(): Disposer {
    const all = () => {
      for (const ds of this.sets.store.list()) this.worker.enqueue(ds);
    };
    const owner = (p: Pod) => {
      const ref = controllerRefOf(p);
      return ref?.kind === 'DaemonSet' ? `${p.metadata.namespace}/${ref.name}` : undefined;
    };
    const offs = [
      this.sets.addEventHandler({
        onAdd: (d) => this.worker.enqueue(d),
        onUpdate: (_, d) => this.worker.enqueue(d),
        onDelete: (d) => this.worker.enqueue(d),
      }),
      this.nodes.addEventHandler({
        onAdd: all,
        onUpdate: (a, b) => {
          if (stableJson([a.metadata.labels, a.spec]) !== stableJson([b.metadata.labels, b.spec])) all();
        },
        onDelete: all,
      }),
      this.pods.addEventHandler({
        onAdd: (p) => {
          const k = owner(p);
          if (k) {
            this.expectations.creationObserved(k);
            this.worker.enqueueKey(k);
          }
        },
        onUpdate: (_, p) => {
          const k = owner(p);
          if (k) this.worker.enqueueKey(k);
        },
        onDelete: (p) => {
          const k = owner(p);
          if (k) {
            this.expectations.deletionObserved(k);
            this.worker.enqueueKey(k);
          }
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

  private async reconcile(key: string): Promise<void> {
    const ds = this.sets.store.get(key);
    if (!ds) return this.expectations.delete(key);
    const plan = planDaemonSet(
      ds,
      this.nodes.store.list(),
      this.pods.store.byIndex(NamespaceIndex, ds.metadata.namespace ?? ''),
      this.ctx.clock.now(),
    );
    const ref = objectRef(ds, 'apps/v1', 'DaemonSet');
    const errs: unknown[] = [];
    if (!ds.metadata.deletionTimestamp && this.expectations.satisfied(key)) {
      this.expectations.expect(key, plan.create.length, plan.delete.length);
      const cref = newControllerRef(ds, 'apps/v1', 'DaemonSet');
      const results = await Promise.allSettled([
        ...plan.create.map(async (node) => {
          const pod = podFromTemplate(ds.spec.template, ds, cref);
          pod.metadata.labels = {
            ...pod.metadata.labels,
            [RevisionHashLabel]: plan.hash,
            'pod-template-generation': String(ds.metadata.generation ?? 1),
          };
          pod.spec = daemonPodSpec(ds, node);
          try {
            await this.podControl.create(pod, ref);
          } catch (err) {
            this.expectations.lowerExpectations(key, 1, 0);
            throw err;
          }
        }),
        ...plan.delete.map(async (p) => {
          try {
            await this.podControl.delete(p, ref);
          } catch (err) {
            this.expectations.lowerExpectations(key, 0, 1);
            throw err;
          }
        }),
      ]);
      for (const r of results) if (r.status === 'rejected') errs.push(r.reason);
    }
    const cur = ds.status ?? {};
    if (stableJson({ ...cur, ...plan.status }) !== stableJson(cur)) {
      try {
        await this.ctx.client.daemonSets.patch(ds.metadata.name!, { status: plan.status }, 'merge', {
          namespace: ds.metadata.namespace,
          subresource: 'status',
        });
      } catch (err) {
        if (!isNotFound(err)) errs.push(err);
      }
    }
    if (errs.length) throw errs[0];
  }
}
