import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../../cluster/client/clock.js';
import { WorkQueue } from '../../../cluster/client/workqueue/queue.js';
import { DelayingQueue } from '../../../cluster/client/workqueue/delaying-queue.js';
import { RateLimitingQueue } from '../../../cluster/client/workqueue/rate-limiting-queue.js';
import { BucketRateLimiter, ExponentialFailureRateLimiter } from '../../../cluster/client/workqueue/rate-limiter.js';

test('duplicate keys waiting in the queue merge into one', async () => {
  const q = new WorkQueue();
  q.add('default/a');
  q.add('default/b');
  q.add('default/a');
  assert.equal(q.length(), 2);
  assert.deepEqual(await q.get(), { key: 'default/a', shutdown: false });
  assert.deepEqual(await q.get(), { key: 'default/b', shutdown: false });
  assert.equal(q.length(), 0);
});

test('a key being processed is not handed out again until done, then comes back once', async () => {
  const q = new WorkQueue();
  q.add('a');
  const first = await q.get();
  assert.equal(first.key, 'a');
  q.add('a');
  q.add('a');
  assert.equal(q.length(), 0, 'a is processing: the re-add waits in dirty, not in the queue');
  let second: string | undefined;
  void q.get().then((i) => (second = i.key));
  await Promise.resolve();
  assert.equal(second, undefined, 'a second worker must not get a while the first holds it');
  q.done('a');
  await Promise.resolve();
  assert.equal(second, 'a');
  q.done('a');
  assert.equal(q.length(), 0, 'after the second done nothing is left');
});

test('done without a re-add leaves the queue empty', async () => {
  const q = new WorkQueue();
  q.add('x');
  await q.get();
  q.done('x');
  assert.equal(q.length(), 0);
  q.add('x');
  assert.equal(q.length(), 1, 'after done the key can be added again');
});

test('shutdown wakes waiting workers and refuses new keys; queued keys still drain', async () => {
  const q = new WorkQueue();
  const waiting = q.get();
  q.shutDown();
  assert.deepEqual(await waiting, { key: '', shutdown: true });
  q.add('late');
  assert.equal(q.length(), 0);

  const q2 = new WorkQueue();
  q2.add('k');
  q2.shutDown();
  assert.deepEqual(await q2.get(), { key: 'k', shutdown: false });
  assert.equal((await q2.get()).shutdown, true);
});

test('shutDownWithDrain waits for keys in processing', async () => {
  const q = new WorkQueue();
  q.add('k');
  await q.get();
  let drained = false;
  const p = q.shutDownWithDrain().then(() => (drained = true));
  await Promise.resolve();
  assert.equal(drained, false);
  q.done('k');
  await p;
  assert.equal(drained, true);
});

test('two workers never hold the same key, and every add is processed', async () => {
  const q = new WorkQueue();
  const holding = new Set<string>();
  let processed = 0;
  const worker = async () => {
    for (;;) {
      const { key, shutdown } = await q.get();
      if (shutdown) return;
      assert.ok(!holding.has(key), `${key} handed to two workers`);
      holding.add(key);
      await new Promise((r) => setImmediate(r));
      holding.delete(key);
      processed++;
      q.done(key);
    }
  };
  const workers = [worker(), worker(), worker()];
  for (let i = 0; i < 200; i++) q.add(`k${i % 7}`);
  while (q.length() > 0 || processed === 0) await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  q.shutDown();
  await Promise.all(workers);
  assert.ok(processed >= 7 && processed <= 200, `processed ${processed}`);
});

test('addAfter delays by the injected clock and keeps the earliest ready time', () => {
  const clock = new FakeClock();
  const q = new DelayingQueue(clock);
  q.addAfter('a', 1000);
  q.addAfter('a', 5000);
  q.addAfter('b', 300);
  assert.equal(q.length(), 0);
  assert.equal(q.delayed(), 2);
  clock.advance(299);
  assert.equal(q.length(), 0);
  clock.advance(1);
  assert.equal(q.length(), 1, 'b is ready at 300 ms');
  clock.advance(700);
  assert.equal(q.length(), 2, 'a is ready at 1000 ms, not 5000');
  clock.advance(10_000);
  assert.equal(q.length(), 2, 'the later addAfter of a did not add it twice');

  q.addAfter('c', 500);
  q.addAfter('c', 100);
  clock.advance(100);
  assert.equal(q.length(), 3, 'an earlier addAfter moves the ready time forward');
  assert.equal(clock.pendingTimers(), 0, 'the superseded timer was cancelled');
});

test('addAfter with no delay adds at once; shutdown cancels delayed keys', () => {
  const clock = new FakeClock();
  const q = new DelayingQueue(clock);
  q.addAfter('now', 0);
  assert.equal(q.length(), 1);
  q.addAfter('later', 100);
  q.shutDown();
  assert.equal(clock.pendingTimers(), 0);
  clock.advance(1000);
  assert.equal(q.length(), 1);
});

test('exponential per-key backoff doubles per failure, caps, and forget resets it', () => {
  const rl = new ExponentialFailureRateLimiter(5, 1000);
  assert.deepEqual([rl.when('a'), rl.when('a'), rl.when('a'), rl.when('b')], [5, 10, 20, 5]);
  assert.equal(rl.numRequeues('a'), 3);
  for (let i = 0; i < 20; i++) rl.when('a');
  assert.equal(rl.when('a'), 1000);
  rl.forget('a');
  assert.equal(rl.numRequeues('a'), 0);
  assert.equal(rl.when('a'), 5);
});

test('bucket limiter lets a burst through, then spaces retries by 1/qps', () => {
  const clock = new FakeClock();
  const rl = new BucketRateLimiter(clock, 10, 3);
  assert.deepEqual([rl.when(), rl.when(), rl.when()], [0, 0, 0]);
  assert.equal(rl.when(), 100);
  assert.equal(rl.when(), 200);
  clock.advance(1000);
  assert.equal(rl.when(), 0, 'tokens refill with time');
});

test('rate-limited requeue backs off per key; forget starts over', () => {
  const clock = new FakeClock();
  const q = new RateLimitingQueue(clock, new ExponentialFailureRateLimiter(10, 10_000));
  q.addRateLimited('k');
  clock.advance(9);
  assert.equal(q.length(), 0);
  clock.advance(1);
  assert.equal(q.length(), 1);
  q.addRateLimited('j'); // a different key has its own backoff
  q.addRateLimited('k'); // k already queued: merges, its failure count still grows
  assert.equal(q.numRequeues('k'), 2);
  clock.advance(10);
  assert.equal(q.length(), 2);
  q.forget('k');
  assert.equal(q.numRequeues('k'), 0);
});
