// The Job controller: Jobs and their pods feed one queue of Job keys.
import type { Job, Pod } from '../../../common/api-types.js';
import { isNotFound } from '../../client/api-errors.js';
import { NamespaceIndex } from '../../client/indexer.js';
import type { Informer } from '../../client/informer.js';
import type { Disposer } from '../../client/rest-client.js';
import type { Controller } from '../base-controller.js';
import { QueueWorker, type ReconcileResult } from '../../client/workqueue/queue-worker.js';
import type { ControllerContext } from '../controller-context.js';
import { objectRef, type EventRecorder } from '../events/event-recorder.js';
import { Expectations } from '../util/expectations.js';
import { stableJson } from '../util/hash.js';
import { PodControl } from '../util/pod-control.js';
import { controllerRefOf, newControllerRef, podFromTemplate } from '../util/pods.js';
import { planJob } from './job-logic.js';

export class JobController implements Controller {
  readonly name = 'job-controller';
  private readonly worker: QueueWorker;
  private readonly jobs: Informer<Job>;
  private readonly pods: Informer<Pod>;
  private readonly recorder: EventRecorder;
  private readonly podControl: PodControl;
  private readonly expectations: Expectations;

  constructor(private readonly ctx: ControllerContext) {
    this.jobs = ctx.informers.jobs();
    this.pods = ctx.informers.pods();
    this.recorder = ctx.recorder(this.name);
    this.podControl = new PodControl(ctx.client, this.recorder);
    this.expectations = new Expectations(ctx.clock);
    this.worker = new QueueWorker(this.name, ctx.clock, (k) => this.reconcile(k), {
      workers: ctx.workers,
      onError: ctx.onError,
    });
  }

  start(): Disposer {
    const owner = (p: Pod) => {
      const ref = controllerRefOf(p);
      return ref?.kind === 'Job' ? `${p.metadata.namespace}/${ref.name}` : undefined;
    };
    const offs = [
      this.jobs.addEventHandler({
        onAdd: (j) => this.worker.enqueue(j),
        onUpdate: (_, j) => this.worker.enqueue(j),
        onDelete: (j) => this.worker.enqueue(j),
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

  private async reconcile(key: string): Promise<ReconcileResult | void> {
    const job = this.jobs.store.get(key);
    if (!job) return this.expectations.delete(key);
    if (job.metadata.deletionTimestamp) return;
    const plan = planJob(
      job,
      this.pods.store.byIndex(NamespaceIndex, job.metadata.namespace ?? ''),
      this.ctx.clock.now(),
    );
    const ref = objectRef(job, 'batch/v1', 'Job');
    const errs: unknown[] = [];
    if (this.expectations.satisfied(key)) {
      this.expectations.expect(key, plan.create, plan.delete.length);
      const cref = newControllerRef(job, 'batch/v1', 'Job');
      const results = await Promise.allSettled([
        ...Array.from({ length: plan.create }, () =>
          this.podControl.create(podFromTemplate(job.spec.template, job, cref), ref).catch((e) => {
            this.expectations.lowerExpectations(key, 1, 0);
            throw e;
          }),
        ),
        ...plan.delete.map((p) =>
          this.podControl.delete(p, ref).catch((e) => {
            this.expectations.lowerExpectations(key, 0, 1);
            throw e;
          }),
        ),
      ]);
      for (const r of results) if (r.status === 'rejected') errs.push(r.reason);
    }
    if (stableJson(plan.status) !== stableJson(job.status ?? {})) {
      try {
        await this.ctx.client.jobs.patch(job.metadata.name!, { status: plan.status }, 'merge', {
          namespace: job.metadata.namespace,
          subresource: 'status',
        });
        for (const e of plan.events) this.recorder.event(ref, e.type, e.reason, e.message);
      } catch (err) {
        if (!isNotFound(err)) errs.push(err);
      }
    }
    if (errs.length) throw errs[0];
    if (plan.requeueAfterMs !== undefined) return { requeueAfterMs: plan.requeueAfterMs };
  }
}
