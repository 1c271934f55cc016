// The one loop of controllers and node agents: a key is reconciled by one worker at a time, a
// change during a reconcile folds into one more pass, a failure is retried with the given
// limiter's backoff (forever with maxRetries Infinity), requeueAfterMs brings a key back, and
// whenIdle resolves once nothing is queued or running.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../../cluster/client/clock.js';
import { QueueWorker } from '../../../cluster/client/workqueue/queue-worker.js';
import { ExponentialFailureRateLimiter } from '../../../cluster/client/workqueue/rate-limiter.js';

const flush = async () => {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
};

test('a failing key is retried with the limiter backoff past 15 tries when maxRetries is Infinity; errors name the key', async () => {
  const clock = new FakeClock();
  const t0 = clock.now();
  const tries: number[] = [];
  const errors: string[] = [];
  const failUntil = 20;
  const w = new QueueWorker(
    'agent',
    clock,
    (key) => {
      tries.push(clock.now() - t0);
      if (tries.length <= failUntil) return Promise.reject(new Error(`${key} failed`));
      return Promise.resolve();
    },
    {
      workers: 1,
      maxRetries: Infinity,
      rateLimiter: new ExponentialFailureRateLimiter(100, 1000),
      onError: (e, context, key) => errors.push(`${context}|${key}|${(e as Error).message}`),
    },
  );
  const stop = w.run();
  w.enqueueKey('default/a');
  await flush();
  // Small steps: each retry's timer is set only once the failed pass has settled.
  for (let i = 0; i < 500; i++) {
    clock.advance(50);
    await flush();
  }
  assert.equal(tries.length, 21, 'twenty failures, then the success');
  assert.deepEqual(tries.slice(0, 6), [0, 100, 300, 700, 1500, 2500], '100 ms doubling, capped at 1 s');
  assert.equal(errors[0], 'agent default/a|default/a|default/a failed');
  await w.whenIdle();
  assert.equal(w.queue.numRequeues('default/a'), 0, 'the success forgot the backoff');
  stop();
});

test('requeueAfterMs brings a key back; a re-add during a reconcile is one more pass, never a parallel one', async () => {
  const clock = new FakeClock();
  let running = 0;
  let passes = 0;
  let release: (() => void) | undefined;
  const w = new QueueWorker(
    'agent',
    clock,
    async () => {
      assert.equal(running, 0);
      running++;
      passes++;
      if (passes === 1) await new Promise<void>((r) => (release = r));
      running--;
      return passes === 2 ? { requeueAfterMs: 5000 } : undefined;
    },
    { workers: 3 },
  );
  const stop = w.run();
  w.enqueueKey('k');
  await flush();
  w.enqueueKey('k');
  w.enqueueKey('k');
  await flush();
  assert.equal(passes, 1, 'the re-adds wait for the pass under way');
  let idle = false;
  void w.whenIdle().then(() => (idle = true));
  release!();
  await flush();
  assert.equal(passes, 2, 'one more pass for both re-adds');
  assert.ok(idle, 'idle once nothing runs or is queued (a delayed key does not count)');
  clock.advance(4999);
  await flush();
  assert.equal(passes, 2);
  clock.advance(1);
  await flush();
  assert.equal(passes, 3, 'back after requeueAfterMs');
  stop();
});
