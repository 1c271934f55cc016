// The CronJob controller (kube-controller-manager's `cronjob`, v2): CronJobs and the Jobs they own
// feed one queue of CronJob keys; each sync is planned by planCronJob and then carried out here,
// and the key is requeued for the next schedule time.
import type { CronJob, Job } from '../../../common/api-types.js';
import { isAlreadyExists, isNotFound } from '../../client/api-errors.js';
import { NamespaceIndex } from '../../client/indexer.js';
import type { Informer } from '../../client/informer.js';
import { Resources } from '../../client/resources.js';
import type { ResourceClient } from '../../client/resource-client.js';
import type { Disposer } from '../../client/rest-client.js';
import type { Controller } from '../base-controller.js';
import { QueueWorker, type ReconcileResult } from '../../client/workqueue/queue-worker.js';
import type { ControllerContext } from '../controller-context.js';
import { objectRef, type EventRecorder } from '../events/event-recorder.js';
import { stableJson } from '../util/hash.js';
import { controllerRefOf } from '../util/pods.js';
import { planCronJob, refOf } from './cronjob-logic.js';

export class CronJobController implements Controller {
  readonly name = 'cronjob-controller';
  private readonly worker: QueueWorker;
  private readonly cronJobs: Informer<CronJob>;
  private readonly jobs: Informer<Job>;
  private readonly client: ResourceClient<CronJob>;
  private readonly recorder: EventRecorder;

  constructor(private readonly ctx: ControllerContext) {
    this.client = ctx.client.resource<CronJob>(Resources.cronjobs);
    this.cronJobs = ctx.informers.informerFor(this.client);
    this.jobs = ctx.informers.jobs();
    this.recorder = ctx.recorder(this.name);
    this.worker = new QueueWorker(this.name, ctx.clock, (k) => this.reconcile(k), {
      workers: ctx.workers,
      onError: ctx.onError,
    });
  }

  start(): Disposer {
    const owner = (j: Job) => {
      const ref = controllerRefOf(j);
      return ref?.kind === 'CronJob' ? `${j.metadata.namespace}/${ref.name}` : undefined;
    };
    const onJob = (j: Job) => {
      const k = owner(j);
      if (k) this.worker.enqueueKey(k);
    };
    const offs = [
      this.cronJobs.addEventHandler({
        onAdd: (c) => this.worker.enqueue(c),
        onUpdate: (_, c) => this.worker.enqueue(c),
      }),
      this.jobs.addEventHandler({ onAdd: onJob, onUpdate: (_, j) => onJob(j), onDelete: onJob }),
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
    const cj = this.cronJobs.store.get(key);
    if (!cj) return;
    const ns = cj.metadata.namespace ?? '';
    const plan = planCronJob(cj, this.jobs.store.byIndex(NamespaceIndex, ns), this.ctx.clock.now());
    const ref = objectRef(cj, 'batch/v1', 'CronJob');
    for (const e of plan.events) this.recorder.event(ref, e.type, e.reason, e.message);
    const status = plan.status;
    for (const j of plan.replace) {
      try {
        await this.ctx.client.jobs.delete(j.metadata.name!, ns, { propagationPolicy: 'Background' });
        this.recorder.event(ref, 'Normal', 'SuccessfulDelete', `Deleted job ${j.metadata.name}`);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      status.active = (status.active ?? []).filter((a) => a.uid !== j.metadata.uid);
    }
    if (plan.create) {
      try {
        const made = await this.ctx.client.jobs.create(plan.create.job, ns);
        this.recorder.event(ref, 'Normal', 'SuccessfulCreate', `Created job ${made.metadata.name}`);
        status.active = [...(status.active ?? []), refOf(made)];
      } catch (err) {
        // Made by an earlier sync whose status write was lost: the next sync adopts it by name.
        if (!isAlreadyExists(err)) {
          this.recorder.event(ref, 'Warning', 'FailedCreate', `Error creating job: ${(err as Error).message}`);
          throw err;
        }
      }
      status.lastScheduleTime = new Date(Math.floor(plan.create.scheduledTime / 1000) * 1000)
        .toISOString()
        .replace('.000Z', 'Z');
    }
    if (status.active && !status.active.length) delete status.active;
    if (stableJson(status) !== stableJson(cj.status ?? {})) {
      try {
        // A merge patch cannot drop the last active entry by omission: send null explicitly.
        await this.client.patch(
          cj.metadata.name!,
          {
            status: {
              active: status.active ?? null,
              lastScheduleTime: status.lastScheduleTime ?? null,
              lastSuccessfulTime: status.lastSuccessfulTime ?? null,
            },
          },
          'merge',
          { namespace: ns, subresource: 'status' },
        );
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    for (const j of plan.prune) {
      try {
        await this.ctx.client.jobs.delete(j.metadata.name!, ns, { propagationPolicy: 'Background' });
        this.recorder.event(ref, 'Normal', 'SuccessfulDelete', `Deleted job ${j.metadata.name}`);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    if (plan.requeueAfterMs !== undefined) return { requeueAfterMs: plan.requeueAfterMs };
  }
}
