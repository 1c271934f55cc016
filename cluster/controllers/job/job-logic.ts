// One sync of a Job (kube's job controller, NonIndexed completion mode): keep up to parallelism
// pods running until completions have succeeded; after more than backoffLimit failures, or past
// activeDeadlineSeconds, the Job fails and its running pods are deleted. After a failure new pods
// wait an exponential backoff (10 s doubling, capped at 6 min) as kube's pod failure backoff does.
import type { Job, Pod } from '../../../common/api-types.js';
import { isControlledBy, isPodActive, isPodReady, rfc3339 } from '../util/pods.js';

type JobCondition = NonNullable<NonNullable<Job['status']>['conditions']>[number];

export interface JobPlan {
  create: number;
  delete: Pod[];
  status: NonNullable<Job['status']> & { ready?: number };
  events: { type: 'Normal' | 'Warning'; reason: string; message: string }[];
  /** Look again then (backoff or deadline), in ms from now. */
  requeueAfterMs?: number;
}

const BACKOFF_BASE_MS = 10_000;
const BACKOFF_MAX_MS = 360_000;

export function isJobFinished(job: Job): boolean {
  return (job.status?.conditions ?? []).some(
    (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
  );
}

export function planJob(job: Job, pods: Pod[], now: number): JobPlan {
  const mine = pods.filter((p) => isControlledBy(p, job));
  const active = mine.filter(isPodActive);
  const succeeded = mine.filter((p) => p.status?.phase === 'Succeeded').length;
  const failedPods = mine.filter((p) => p.status?.phase === 'Failed');
  const failed = Math.max(failedPods.length, job.status?.failed ?? 0);
  const parallelism = job.spec.parallelism ?? 1;
  const completions = job.spec.completions;
  const backoffLimit = job.spec.backoffLimit ?? 6;
  const ts = rfc3339(now);
  const startTime = job.status?.startTime ?? ts;
  const events: JobPlan['events'] = [];
  const conditions: JobCondition[] = (job.status?.conditions ?? []).map((c) => ({ ...c }));
  const status: JobPlan['status'] = {
    ...(job.status ?? {}),
    startTime,
    active: active.length,
    succeeded: Math.max(succeeded, job.status?.succeeded ?? 0),
    failed,
    ready: active.filter(isPodReady).length,
  };
  if (isJobFinished(job)) return { create: 0, delete: active, status: { ...status, conditions }, events };

  const finish = (type: 'Complete' | 'Failed', reason: string, message: string) => {
    conditions.push({
      type,
      status: 'True',
      lastProbeTime: ts,
      lastTransitionTime: ts,
      ...(reason ? { reason, message } : {}),
    });
    status.conditions = conditions;
    if (type === 'Complete') status.completionTime = ts;
  };

  if (failed > backoffLimit) {
    finish('Failed', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit');
    events.push({
      type: 'Warning',
      reason: 'BackoffLimitExceeded',
      message: 'Job has reached the specified backoff limit',
    });
    return { create: 0, delete: active, status: { ...status, active: 0 }, events };
  }
  const deadline = job.spec.activeDeadlineSeconds;
  if (deadline !== undefined && Date.parse(startTime) + deadline * 1000 <= now) {
    finish('Failed', 'DeadlineExceeded', 'Job was active longer than specified deadline');
    events.push({
      type: 'Warning',
      reason: 'DeadlineExceeded',
      message: 'Job was active longer than specified deadline',
    });
    return { create: 0, delete: active, status: { ...status, active: 0 }, events };
  }
  const done =
    completions !== undefined ? status.succeeded! >= completions : status.succeeded! > 0 && active.length === 0;
  if (done) {
    finish('Complete', '', '');
    events.push({ type: 'Normal', reason: 'Completed', message: 'Job completed' });
    return { create: 0, delete: active, status: { ...status, active: 0 }, events };
  }
  // How many should run now: never more than the completions still missing.
  let want = parallelism;
  if (completions !== undefined) want = Math.min(parallelism, completions - status.succeeded!);
  else if (status.succeeded! > 0) want = Math.min(want, active.length);
  let create = 0;
  let del: Pod[] = [];
  let requeueAfterMs: number | undefined;
  if (active.length > want) {
    del = [...active].sort((a, b) => (isPodReady(a) ? 1 : 0) - (isPodReady(b) ? 1 : 0)).slice(0, active.length - want);
  } else if (active.length < want) {
    const lastFailure = Math.max(
      0,
      ...failedPods.map(
        (p) =>
          Date.parse(p.status?.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime ?? '') ||
          Date.parse(p.metadata.creationTimestamp ?? '') ||
          0,
      ),
    );
    const backoff = failed > 0 ? Math.min(BACKOFF_BASE_MS * 2 ** (failed - 1), BACKOFF_MAX_MS) : 0;
    const wait = lastFailure + backoff - now;
    if (failed > 0 && wait > 0) requeueAfterMs = wait;
    else create = want - active.length;
  }
  if (deadline !== undefined) {
    const left = Date.parse(startTime) + deadline * 1000 - now;
    requeueAfterMs = requeueAfterMs === undefined ? left : Math.min(requeueAfterMs, left);
  }
  status.active = active.length;
  return { create, delete: del, status, events, ...(requeueAfterMs !== undefined ? { requeueAfterMs } : {}) };
}
