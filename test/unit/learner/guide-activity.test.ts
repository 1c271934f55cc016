import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GuideActivity } from '../../../server/guide/guide-activity.js';
import { describeActivity } from '../../../common/activity-text.js';

test('a start reports its phases as they run and end; a second start meanwhile is refused; idle after', async () => {
  let now = 0;
  const a = new GuideActivity(() => now);
  let release!: () => void;
  const seen: string[] = [];
  const run = a.run('start', 'veth-by-hand', 0, async (onPhase) => {
    onPhase({ name: 'reset', event: 'start', ms: 0 });
    now = 1500;
    onPhase({ name: 'reset', event: 'done', ms: 1500 });
    onPhase({ name: 'namespaces', event: 'start', ms: 0 });
    seen.push(describeActivity(a.get()!).label);
    await new Promise<void>((r) => (release = r));
    return 42;
  });
  await new Promise((r) => setImmediate(r));
  const mid = a.get()!;
  assert.deepEqual(mid.phases, [
    { name: 'reset', state: 'done', ms: 1500 },
    { name: 'namespaces', state: 'running', ms: 0 },
  ]);
  assert.equal(mid.elapsedMs, 1500);
  assert.match(seen[0]!, /^Starting veth-by-hand: creating namespaces \(2\/11\) · 2 s$/);
  await assert.rejects(
    a.run('replay', 'veth-by-hand', 7, async () => 0),
    /veth-by-hand is starting; wait/,
  );
  release();
  assert.equal(await run, 42);
  assert.equal(a.get(), null);
});

test('a failed start leaves the guide idle, and a replay counts its steps after the cluster phase', async () => {
  const a = new GuideActivity(() => 0);
  await assert.rejects(
    a.run('start', 'x', 0, async () => Promise.reject(new Error('up failed'))),
    /up failed/,
  );
  assert.equal(a.get(), null);
  await a.run('replay', 'x', 4, async (onPhase, onStep) => {
    onPhase({ name: 'cluster', event: 'done', ms: 3 });
    onStep();
    const d = describeActivity(a.get()!);
    assert.match(d.label, /step 2 of 4/);
    assert.equal(d.fraction, 0.5 + 0.5 / 4);
  });
});
