// The TTL-after-finished controller (kube-controller-manager's `ttl-after-finished`): a Job with
// spec.ttlSecondsAfterFinished is deleted (foreground, so its pods go first) that many seconds
// after its Complete or Failed condition; before deleting, the Job is read fresh from the apiserver
// so that a TTL raised meanwhile is honoured (pkg/controller/ttlafterfinished).
import type { KubeObject } from '../../../common/api-types.js';
import { isNotFound } from '../../client/api-errors.js';
import type { Informer } from '../../client/informer.js';
import { Resources } from '../../client/resources.js';
import type { Disposer } from '../../client/rest-client.js';
import type { ResourceClient } from '../../client/resource-client.js';
import type { Controller } from '../base-controller.js';
import { QueueWorker, type ReconcileResult } from '../../client/workqueue/queue-worker.js';
import type { ControllerContext } from '../controller-context.js';

type Job = KubeObject & {
  spec?: { ttlSecondsAfterFinished?: number };
  status?: { conditions?: { type: string; status: string; lastTransitionTime?: string }[]; completionTime?: string };
};

/** When the Job finished (its Complete/Failed condition's time), or undefined while it runs. */
export function finishedAt(job: Job): number | undefined {
  const c = job.status?.conditions?.find((x) => (x.type === 'Complete' || x.type === 'Failed') && x.status === 'True');
  if (!c) return undefined;
  const t = Date.parse(c.lastTransitionTime ?? job.status?.completionTime ?? '');
  return Number.isNaN(t) ? undefined : t;
}

/** Milliseconds until the Job is due (≤ 0: now); undefined when it has no TTL or has not finished. */
export function timeLeft(job: Job, now: number): number | undefined {
  const ttl = job.spec?.ttlSecondsAfterFinished;
  if (ttl === undefined || ttl === null || job.metadata.deletionTimestamp) return undefined;
  const at = finishedAt(job);
  return at === undefined ? undefined : at + ttl * 1000 - now;
}

export class TtlAfterFinishedController implements Controller {
  readonly name = 'ttl-after-finished-controller';
  private readonly worker: QueueWorker;
  private readonly jobs: Informer<Job>;
  private readonly client: ResourceClient<Job>;

  constructor(private readonly ctx: ControllerContext) {
    this.client = ctx.client.resource<Job>(Resources.jobs);
    this.jobs = ctx.informers.informerFor(this.client);
    this.worker = new QueueWorker(this.name, ctx.clock, (k) => this.reconcile(k), {
      workers: ctx.workers,
      onError: ctx.onError,
    });
  }

  start(): Disposer {
    const add = (j: Job) => {
      if (timeLeft(j, this.ctx.clock.now()) !== undefined) this.worker.enqueue(j);
    };
    const off = this.jobs.addEventHandler({ onAdd: add, onUpdate: (_, j) => add(j) });
    const stop = this.worker.run();
    return () => {
      off();
      stop();
    };
  }

  idle(): boolean {
    return this.worker.idle();
  }

  private async reconcile(key: string): Promise<ReconcileResult | void> {
    const cached = this.jobs.store.get(key);
    if (!cached) return;
    const left = timeLeft(cached, this.ctx.clock.now());
    if (left === undefined) return;
    if (left > 0) return { requeueAfterMs: left };
    const [ns, name] = key.split('/') as [string, string];
    let fresh: Job;
    try {
      fresh = await this.client.get(name, ns);
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    const freshLeft = timeLeft(fresh, this.ctx.clock.now());
    if (freshLeft === undefined) return;
    if (freshLeft > 0) return { requeueAfterMs: freshLeft };
    try {
      await this.client.delete(name, ns, {
        propagationPolicy: 'Foreground',
        preconditions: { uid: fresh.metadata.uid },
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
