import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SyncRunner, type TimerClock } from '../../../cluster/proxy/sync-runner.js';

/** Fake time: timers fire only when the test advances the clock; async work settles between timers. */
class FakeTime implements TimerClock {
  t = 0;
  private seq = 0;
  private pending = new Map<number, { at: number; fn: () => void }>();
  now = () => this.t;
  setTimer(fn: () => void, ms: number): () => void {
    const id = ++this.seq;
    this.pending.set(id, { at: this.t + ms, fn });
    return () => this.pending.delete(id);
  }
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      const due = [...this.pending].filter(([, p]) => p.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.pending.delete(due[0]);
      this.t = Math.max(this.t, due[1].at);
      due[1].fn();
      for (let i = 0; i < 10; i++) await Promise.resolve();
    }
    this.t = end;
  }
}

function setup(fail = () => false) {
  const time = new FakeTime();
  const runs: number[] = [];
  const errors: unknown[] = [];
  const runner = new SyncRunner({
    run: async () => {
      runs.push(time.t);
      if (fail()) throw new Error('restore failed');
    },
    clock: time,
    minIntervalMs: 1000,
    maxIntervalMs: 30_000,
    retryMs: 5000,
    onError: (e) => errors.push(e),
  });
  return { time, runs, errors, runner };
}

test('syncs at start, then batches changes so two syncs are at least minSyncPeriod apart', async () => {
  const { time, runs, runner } = setup();
  const stop = runner.start();
  await time.advance(0);
  assert.deepEqual(runs, [0]);
  await time.advance(200);
  runner.request();
  runner.request();
  await time.advance(300);
  runner.request();
  await time.advance(1000);
  assert.deepEqual(runs, [0, 1000], 'three requests, one sync, at 1 s');
  await time.advance(5000);
  runner.request();
  await time.advance(0);
  assert.deepEqual(runs, [0, 1000, 6500], 'long after the last sync a change syncs at once');
  stop();
});

test('syncs every syncPeriod without changes, and retries a failed sync after the retry delay', async () => {
  let failing = true;
  const { time, runs, errors, runner } = setup(() => failing);
  const stop = runner.start();
  await time.advance(0);
  assert.equal(errors.length, 1);
  failing = false;
  await time.advance(5000);
  assert.deepEqual(runs, [0, 5000]);
  await time.advance(30_000);
  assert.deepEqual(runs, [0, 5000, 35_000]);
  stop();
  runner.request();
  await time.advance(60_000);
  assert.deepEqual(runs, [0, 5000, 35_000], 'nothing runs after stop');
});
