// CronJob schedules (robfig/cron's standard parser) and one sync of the CronJob controller:
// missed times, startingDeadlineSeconds, concurrencyPolicy, suspend and history limits.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { CronJob, Job } from '../../../common/api-types.js';
import { CronParseError, parseCron } from '../../../common/cron-schedule.js';
import { mostRecentScheduleTime, planCronJob } from '../../../cluster/controllers/cronjob/cronjob-logic.js';

const T = (s: string) => Date.parse(s);
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

describe('cron schedules', () => {
  test('five fields: lists, ranges, steps, names, and the day-of-month/day-of-week OR', () => {
    const next = (spec: string, from: string, tz?: string) => iso(parseCron(spec, tz).next(T(from)));
    assert.equal(next('*/15 * * * *', '2026-01-01T10:07:30Z'), '2026-01-01T10:15:00.000Z');
    assert.equal(next('0 9-17/4 * * MON-FRI', '2026-01-02T17:30:00Z'), '2026-01-05T09:00:00.000Z'); // Fri → Mon
    assert.equal(next('30 2 1 JAN,jul *', '2026-02-01T00:00:00Z'), '2026-07-01T02:30:00.000Z');
    // Both day fields restricted: the 13th OR a Friday.
    assert.equal(next('0 0 13 * 5', '2026-02-01T00:00:00Z'), '2026-02-06T00:00:00.000Z');
    assert.equal(next('0 0 31 * *', '2026-02-01T00:00:00Z'), '2026-03-31T00:00:00.000Z');
    assert.equal(next('0 0 29 2 *', '2026-03-01T00:00:00Z'), '2028-02-29T00:00:00.000Z');
    assert.equal(next('0 12 * * ?', '2026-01-01T12:00:00Z'), '2026-01-02T12:00:00.000Z');
  });

  test('descriptors and @every', () => {
    const next = (spec: string, from: string) => iso(parseCron(spec).next(T(from)));
    assert.equal(next('@hourly', '2026-01-01T10:07:00Z'), '2026-01-01T11:00:00.000Z');
    assert.equal(next('@daily', '2026-01-01T10:07:00Z'), '2026-01-02T00:00:00.000Z');
    assert.equal(next('@midnight', '2026-01-01T10:07:00Z'), '2026-01-02T00:00:00.000Z');
    assert.equal(next('@weekly', '2026-01-01T10:07:00Z'), '2026-01-04T00:00:00.000Z'); // Sunday
    assert.equal(next('@monthly', '2026-01-01T10:07:00Z'), '2026-02-01T00:00:00.000Z');
    assert.equal(next('@yearly', '2026-01-01T10:07:00Z'), '2027-01-01T00:00:00.000Z');
    assert.equal(next('@annually', '2026-01-01T10:07:00Z'), '2027-01-01T00:00:00.000Z');
    assert.equal(next('@every 1m30s', '2026-01-01T10:07:00.400Z'), '2026-01-01T10:08:30.000Z');
  });

  test('a time zone moves the wall clock, daylight saving included', () => {
    const next = (spec: string, from: string, tz: string) => iso(parseCron(spec, tz).next(T(from)));
    assert.equal(next('0 9 * * *', '2026-01-10T00:00:00Z', 'Europe/Berlin'), '2026-01-10T08:00:00.000Z'); // CET
    assert.equal(next('0 9 * * *', '2026-07-10T00:00:00Z', 'Europe/Berlin'), '2026-07-10T07:00:00.000Z'); // CEST
    assert.equal(next('30 9 * * *', '2026-01-10T00:00:00Z', 'Asia/Kolkata'), '2026-01-10T04:00:00.000Z');
  });

  test('bad schedules are refused with robfig wording', () => {
    const bad = (spec: string, re: RegExp, tz?: string) =>
      assert.throws(
        () => parseCron(spec, tz),
        (e: unknown) => e instanceof CronParseError && re.test(e.message),
      );
    bad('61 * * * *', /end of range \(61\) above maximum \(59\): 61/);
    bad('* * *', /expected exactly 5 fields, found 3/);
    bad('*/0 * * * *', /step of range should be a positive number/);
    bad('5-1 * * * *', /beginning of range \(5\) beyond end of range \(1\)/);
    bad('@fortnightly', /unrecognized descriptor/);
    bad('TZ=UTC 0 * * * *', /cannot use TZ or CRON_TZ in schedule/);
    bad('0 * * * *', /unknown time zone/, 'Mars/Olympus');
    bad('x * * * *', /failed to parse int from x/);
  });
});

function cronJob(spec: Partial<CronJob['spec']> = {}, status: CronJob['status'] = {}): CronJob {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'cj', namespace: 'ns', uid: 'cj-uid', creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: {
      schedule: '*/10 * * * *',
      concurrencyPolicy: 'Allow',
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 1,
      jobTemplate: { spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox' }] } } } },
      ...spec,
    },
    status,
  };
}

function job(name: string, state: 'Running' | 'Complete' | 'Failed', start: string): Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name,
      namespace: 'ns',
      uid: `${name}-uid`,
      creationTimestamp: start,
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'cj', uid: 'cj-uid', controller: true }],
    },
    spec: { template: { spec: { containers: [] } } },
    status: {
      startTime: start,
      ...(state === 'Running' ? { active: 1 } : { completionTime: start }),
      ...(state === 'Running' ? {} : { conditions: [{ type: state, status: 'True' }] }),
    },
  } as Job;
}

describe('CronJob sync', () => {
  test('creates the Job of the most recent missed time, named by its minute, and requeues for the next', () => {
    const p = planCronJob(cronJob(), [], T('2026-01-01T00:25:00Z'));
    assert.equal(p.create?.job.metadata.name, `cj-${T('2026-01-01T00:20:00Z') / 60_000}`);
    assert.equal(iso(p.create?.scheduledTime), '2026-01-01T00:20:00.000Z');
    assert.equal(p.create?.job.metadata.ownerReferences?.[0]?.uid, 'cj-uid');
    assert.equal(p.requeueAfterMs, 5 * 60_000 + 100);
  });

  test('nothing before the first schedule time; suspend creates nothing', () => {
    assert.equal(planCronJob(cronJob(), [], T('2026-01-01T00:09:59Z')).create, undefined);
    assert.equal(planCronJob(cronJob({ suspend: true }), [], T('2026-01-01T00:25:00Z')).create, undefined);
  });

  test('startingDeadlineSeconds: a time missed by more is skipped with MissSchedule', () => {
    const late = planCronJob(cronJob({ startingDeadlineSeconds: 30 }), [], T('2026-01-01T00:21:00Z'));
    assert.equal(late.create, undefined);
    const inTime = planCronJob(cronJob({ startingDeadlineSeconds: 90 }), [], T('2026-01-01T00:21:00Z'));
    assert.ok(inTime.create);
  });

  test('concurrencyPolicy Forbid waits, Replace deletes the running Job', () => {
    const running = job('cj-old', 'Running', '2026-01-01T00:10:00Z');
    const status = {
      active: [{ kind: 'Job', name: 'cj-old', namespace: 'ns', uid: 'cj-old-uid' }],
      lastScheduleTime: '2026-01-01T00:10:00Z',
    };
    const forbid = planCronJob(cronJob({ concurrencyPolicy: 'Forbid' }, status), [running], T('2026-01-01T00:20:30Z'));
    assert.equal(forbid.create, undefined);
    assert.ok(forbid.events.some((e) => e.reason === 'JobAlreadyActive'));
    const replace = planCronJob(
      cronJob({ concurrencyPolicy: 'Replace' }, status),
      [running],
      T('2026-01-01T00:20:30Z'),
    );
    assert.deepEqual(
      replace.replace.map((j) => j.metadata.name),
      ['cj-old'],
    );
    assert.ok(replace.create);
    const allow = planCronJob(cronJob({}, status), [running], T('2026-01-01T00:20:30Z'));
    assert.deepEqual(allow.replace, []);
    assert.ok(allow.create);
  });

  test('finished Jobs leave status.active, set lastSuccessfulTime, and are pruned past the history limits', () => {
    const jobs = [
      job('a', 'Complete', '2026-01-01T00:10:00Z'),
      job('b', 'Complete', '2026-01-01T00:20:00Z'),
      job('c', 'Failed', '2026-01-01T00:30:00Z'),
      job('d', 'Failed', '2026-01-01T00:40:00Z'),
    ];
    const status = {
      active: [{ kind: 'Job', name: 'd', namespace: 'ns', uid: 'd-uid' }],
      lastScheduleTime: '2026-01-01T00:40:00Z',
    };
    const p = planCronJob(
      cronJob({ successfulJobsHistoryLimit: 1, failedJobsHistoryLimit: 1 }, status),
      jobs,
      T('2026-01-01T00:45:00Z'),
    );
    assert.equal(p.status.active, undefined);
    assert.equal(p.status.lastSuccessfulTime, '2026-01-01T00:20:00Z');
    assert.deepEqual(
      p.prune.map((j) => j.metadata.name),
      ['a', 'c'],
    );
    assert.ok(p.events.some((e) => e.reason === 'SawCompletedJob' && /d, condition: Failed/.test(e.message)));
  });

  test('more than 100 missed times still finds the latest without walking every activation', () => {
    const cron = parseCron('* * * * *');
    // Work counted, not timed: a year of minutes walked one by one would be ~525,000 steps.
    let steps = 0;
    const sched = { ...cron, next: (t: number) => (steps++, cron.next(t)) };
    const r = mostRecentScheduleTime(sched, T('2025-01-01T00:00:00Z'), T('2026-01-01T00:00:30Z'));
    assert.ok(steps <= 200, `${steps} schedule steps`);
    assert.equal(iso(r.time), '2026-01-01T00:00:00.000Z');
    assert.ok(r.missed > 100);
  });
});
