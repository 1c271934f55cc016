// One sync of a CronJob (kube's cronjob controllerv2, syncCronJob): reconcile status.active with
// the Jobs that exist, find the most recent missed schedule time since the last one (bounded by
// startingDeadlineSeconds), honour suspend and concurrencyPolicy (Allow/Forbid/Replace), create the
// Job `<name>-<minutes since epoch>`, and delete finished Jobs beyond the history limits.
import type { CronJob, Job } from '../../../common/api-types.js';
import { CronParseError, parseCron, type CronSchedule } from '../../../common/cron-schedule.js';
import { isJobFinished } from '../job/job-logic.js';
import { isControlledBy, rfc3339 } from '../util/pods.js';

type ActiveRef = NonNullable<NonNullable<CronJob['status']>['active']>[number];
export type CronEvent = { type: 'Normal' | 'Warning'; reason: string; message: string };

export interface CronJobPlan {
  status: NonNullable<CronJob['status']>;
  /** The Job to create now (scheduled time in ms alongside). */
  create?: { job: Job; scheduledTime: number };
  /** Active Jobs to delete first (concurrencyPolicy Replace). */
  replace: Job[];
  /** Finished Jobs past the history limits, oldest first. */
  prune: Job[];
  events: CronEvent[];
  requeueAfterMs?: number;
}

const jobCondition = (j: Job, type: string) =>
  (j.status?.conditions ?? []).some((c) => c.type === type && c.status === 'True');

/** Most recent schedule time in (earliest, now], and how many were missed; undefined when none. */
export function mostRecentScheduleTime(
  sched: CronSchedule,
  earliest: number,
  now: number,
): { time?: number; missed: number } {
  const first = sched.next(earliest);
  if (first === undefined || first > now) return { missed: 0 };
  let last = first;
  let missed = 1;
  while (missed <= 100) {
    const n = sched.next(last);
    if (n === undefined || n > now) return { time: last, missed };
    last = n;
    missed++;
  }
  // More than 100 missed (kube's TooManyMissedTimes): find the latest from a window before now
  // instead of walking every activation of a long gap.
  for (const w of [60_000, 3_600_000, 86_400_000, 31 * 86_400_000, 366 * 86_400_000]) {
    let c = sched.next(Math.max(last, now - w));
    if (c === undefined || c > now) continue;
    for (let n = sched.next(c); n !== undefined && n <= now; n = sched.next(c)) c = n;
    return { time: c, missed };
  }
  return { time: last, missed };
}

export function jobFromTemplate(cj: CronJob, scheduledTime: number): Job {
  const tm = cj.spec.jobTemplate.metadata ?? {};
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: `${cj.metadata.name}-${Math.floor(scheduledTime / 60_000)}`,
      namespace: cj.metadata.namespace,
      labels: { ...(tm.labels ?? {}) },
      annotations: {
        ...(tm.annotations ?? {}),
        'batch.kubernetes.io/cronjob-scheduled-timestamp': rfc3339(scheduledTime),
      },
      ownerReferences: [
        {
          apiVersion: 'batch/v1',
          kind: 'CronJob',
          name: cj.metadata.name!,
          uid: cj.metadata.uid!,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: structuredClone(cj.spec.jobTemplate.spec),
  };
}

export function planCronJob(cj: CronJob, allJobs: Job[], now: number): CronJobPlan {
  const jobs = allJobs.filter((j) => isControlledBy(j, cj));
  const events: CronEvent[] = [];
  const status: NonNullable<CronJob['status']> = structuredClone(cj.status ?? {});
  const byUid = new Map(jobs.map((j) => [j.metadata.uid, j]));
  let active: ActiveRef[] = [...(status.active ?? [])];
  // Jobs that finished leave the active list (SawCompletedJob); ones that vanished too (MissingJob).
  active = active.filter((ref) => {
    const j = byUid.get(ref.uid);
    if (!j) {
      events.push({ type: 'Normal', reason: 'MissingJob', message: `Active job went missing: ${ref.name}` });
      return false;
    }
    if (isJobFinished(j)) {
      const state = jobCondition(j, 'Complete') ? 'Complete' : 'Failed';
      events.push({
        type: 'Normal',
        reason: 'SawCompletedJob',
        message: `Saw completed job: ${j.metadata.name}, condition: ${state}`,
      });
      return false;
    }
    return true;
  });
  for (const j of jobs) {
    if (isJobFinished(j) && jobCondition(j, 'Complete') && j.status?.completionTime) {
      if (!status.lastSuccessfulTime || Date.parse(j.status.completionTime) > Date.parse(status.lastSuccessfulTime))
        status.lastSuccessfulTime = j.status.completionTime;
    }
  }
  status.active = active.length ? active : undefined;
  if (!status.active) delete status.active;
  if (!status.lastSuccessfulTime) delete status.lastSuccessfulTime;

  const plan: CronJobPlan = { status, replace: [], prune: prune(cj, jobs), events };
  if (cj.metadata.deletionTimestamp || cj.spec.suspend) return plan;
  let sched: CronSchedule;
  try {
    sched = parseCron(cj.spec.schedule, cj.spec.timeZone);
  } catch (err) {
    if (!(err instanceof CronParseError)) throw err;
    events.push({
      type: 'Warning',
      reason: err.where === 'spec.timeZone' ? 'UnknownTimeZone' : 'UnparseableSchedule',
      message:
        err.where === 'spec.timeZone'
          ? `invalid timeZone: ${JSON.stringify(cj.spec.timeZone)}: ${err.problem}`
          : `unparseable schedule: ${JSON.stringify(cj.spec.schedule)} : ${err.problem}`,
    });
    return plan;
  }
  const created = Date.parse(cj.metadata.creationTimestamp ?? '') || now;
  let earliest = status.lastScheduleTime ? Date.parse(status.lastScheduleTime) : created;
  const deadline = cj.spec.startingDeadlineSeconds;
  if (deadline !== undefined && deadline !== null) earliest = Math.max(earliest, now - deadline * 1000);
  const { time, missed } = mostRecentScheduleTime(sched, earliest, now);
  const next = sched.next(now);
  // Wake a little after the next schedule time (kube adds 100 ms).
  if (next !== undefined) plan.requeueAfterMs = next - now + 100;
  if (time === undefined) return plan;
  if (missed > 100)
    events.push({
      type: 'Warning',
      reason: 'TooManyMissedTimes',
      message: 'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew',
    });
  if (deadline !== undefined && deadline !== null && time + deadline * 1000 < now) {
    events.push({
      type: 'Warning',
      reason: 'MissSchedule',
      message: `Missed scheduled time to start a job: ${rfc3339(time)}`,
    });
    return plan;
  }
  const policy = cj.spec.concurrencyPolicy ?? 'Allow';
  if (policy === 'Forbid' && active.length) {
    events.push({
      type: 'Normal',
      reason: 'JobAlreadyActive',
      message: 'Not starting job because prior execution is running and concurrency policy is Forbid',
    });
    return plan;
  }
  if (policy === 'Replace') plan.replace = active.map((ref) => byUid.get(ref.uid)).filter((j): j is Job => !!j);
  const job = jobFromTemplate(cj, time);
  // Already made for this time (a status write was lost): only the bookkeeping is redone.
  const existing = jobs.find((j) => j.metadata.name === job.metadata.name);
  if (existing) {
    if (!active.some((a) => a.uid === existing.metadata.uid) && !isJobFinished(existing))
      status.active = [...active, refOf(existing)];
    status.lastScheduleTime = rfc3339(time);
    return plan;
  }
  plan.create = { job, scheduledTime: time };
  return plan;
}

export function refOf(j: Job): ActiveRef {
  return {
    kind: 'Job',
    namespace: j.metadata.namespace,
    name: j.metadata.name,
    uid: j.metadata.uid,
    apiVersion: 'batch/v1',
    resourceVersion: j.metadata.resourceVersion,
  };
}

/** Finished Jobs beyond successfulJobsHistoryLimit / failedJobsHistoryLimit, oldest first. */
function prune(cj: CronJob, jobs: Job[]): Job[] {
  const start = (j: Job) => Date.parse(j.status?.startTime ?? j.metadata.creationTimestamp ?? '') || 0;
  const out: Job[] = [];
  const limits: [string, number | undefined][] = [
    ['Complete', cj.spec.successfulJobsHistoryLimit],
    ['Failed', cj.spec.failedJobsHistoryLimit],
  ];
  for (const [type, limit] of limits) {
    if (limit === undefined || limit === null) continue;
    const done = jobs
      .filter((j) => isJobFinished(j) && jobCondition(j, type) && !j.metadata.deletionTimestamp)
      .sort((a, b) => start(a) - start(b));
    if (done.length > limit) out.push(...done.slice(0, done.length - limit));
  }
  return out;
}
