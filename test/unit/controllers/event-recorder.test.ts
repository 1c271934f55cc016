import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Event } from '../../../common/api-types.js';
import { FakeClock } from '../../../cluster/client/clock.js';
import { EventRecorder, type EventSink } from '../../../cluster/controllers/events/event-recorder.js';
import { NotFoundError } from '../../../cluster/client/api-errors.js';

function memorySink() {
  const events = new Map<string, Event>();
  const sink: EventSink = {
    async create(ev) {
      events.set(ev.metadata.name!, structuredClone(ev));
      return ev;
    },
    async patch(name, patch) {
      const ev = events.get(name);
      if (!ev) throw new NotFoundError({ kind: 'Status', code: 404, reason: 'NotFound' }, `PATCH events/${name}`);
      Object.assign(ev, patch);
      return ev;
    },
  };
  return { sink, events };
}

const rs = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'kubia-x', namespace: 'default', uid: 'u1' };

test('repeats of one event become one object with a count and a newer lastTimestamp', async () => {
  const clock = new FakeClock(Date.UTC(2026, 0, 1));
  const { sink, events } = memorySink();
  const r = new EventRecorder(sink, { component: 'replicaset-controller' }, clock);
  r.event(rs, 'Warning', 'FailedCreate', 'Error creating: quota');
  clock.advance(30_000);
  r.event(rs, 'Warning', 'FailedCreate', 'Error creating: quota');
  r.event(rs, 'Normal', 'SuccessfulCreate', 'Created pod: kubia-x-abcde');
  await r.flush();
  assert.equal(events.size, 2);
  const failed = [...events.values()].find((e) => e.reason === 'FailedCreate')!;
  assert.equal(failed.count, 2);
  assert.equal(failed.firstTimestamp, '2026-01-01T00:00:00Z');
  assert.equal(failed.lastTimestamp, '2026-01-01T00:00:30Z');
  assert.match(failed.metadata.name!, /^kubia-x\.[0-9a-f]+$/);
  assert.deepEqual(failed.involvedObject, rs);
  assert.equal(failed.source?.component, 'replicaset-controller');
});

test('an aggregate deleted meanwhile is recreated; one older than the window starts over', async () => {
  const clock = new FakeClock();
  const { sink, events } = memorySink();
  const r = new EventRecorder(sink, { component: 'c' }, clock);
  r.event(rs, 'Normal', 'X', 'm');
  await r.flush();
  events.clear();
  r.event(rs, 'Normal', 'X', 'm');
  await r.flush();
  assert.equal(events.size, 1);
  clock.advance(11 * 60_000);
  r.event(rs, 'Normal', 'X', 'm');
  await r.flush();
  assert.equal(events.size, 2);
  assert.ok(
    [...events.values()].some(
      (e) =>
        e.count === 1 && e.lastTimestamp === e.firstTimestamp && Date.parse(e.firstTimestamp!) >= clock.now() - 1000,
    ),
  );
});
