// kube-proxy's sync runner on the work queue: the first request runs at once, a burst folds into
// one more run no sooner than minInterval after the last start, runs never overlap, and a failing
// run is retried with doubling backoff until it succeeds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../../cluster/client/clock.js';
import { BoundedFrequencyRunner } from '../../../cluster/client/workqueue/bounded-frequency-runner.js';

const flush = async () => {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
};

function setup(fail: () => boolean = () => false) {
  const clock = new FakeClock();
  const starts: number[] = [];
  const errors: unknown[] = [];
  let running = 0;
  let release: (() => void) | undefined;
  let hold = false;
  const t0 = clock.now();
  const runner = new BoundedFrequencyRunner(
    'test',
    clock,
    async () => {
      assert.equal(running, 0, 'two runs at once');
      running++;
      starts.push(clock.now() - t0);
      if (hold) await new Promise<void>((r) => (release = r));
      running--;
      if (fail()) throw new Error('restore failed');
    },
    { minIntervalMs: 1000, retryMaxMs: 8000, onError: (e) => errors.push(e) },
  );
  const stop = runner.start();
  return {
    clock,
    runner,
    starts,
    errors,
    stop,
    hold: (on: boolean) => (hold = on),
    release: () => release?.(),
  };
}

test('the first request runs at once; a burst right after is one run, minInterval after the last start', async () => {
  const { clock, runner, starts, stop } = setup();
  runner.run();
  await flush();
  assert.deepEqual(starts, [0]);
  clock.advance(300);
  runner.run();
  runner.run();
  clock.advance(200);
  runner.run();
  await flush();
  assert.deepEqual(starts, [0], 'the burst waits for minInterval');
  clock.advance(499);
  await flush();
  assert.deepEqual(starts, [0]);
  clock.advance(1);
  await flush();
  assert.deepEqual(starts, [0, 1000], 'one run for the whole burst');
  clock.advance(5000);
  await flush();
  assert.deepEqual(starts, [0, 1000], 'no request, no run');
  runner.run();
  await flush();
  assert.deepEqual(starts, [0, 1000, 6000], 'after a quiet spell a request runs at once');
  stop();
});

test('a request during a long run waits for it, then for minInterval since its start', async () => {
  const { clock, runner, starts, hold, release, stop } = setup();
  hold(true);
  runner.run();
  await flush();
  clock.advance(400);
  runner.run();
  clock.advance(2000);
  await flush();
  assert.deepEqual(starts, [0], 'never two runs at once');
  hold(false);
  release();
  await flush();
  assert.deepEqual(starts, [0, 2400], 'the folded request runs once the long run is done');
  stop();
});

test('a failing run is retried after minInterval, then 2 s, 4 s, 8 s (capped) until it succeeds', async () => {
  let failing = true;
  const { clock, runner, starts, errors, stop } = setup(() => failing);
  runner.run();
  await flush();
  for (const wait of [1000, 2000, 4000, 8000, 8000]) {
    clock.advance(wait - 1);
    await flush();
    const n = starts.length;
    clock.advance(1);
    await flush();
    assert.equal(starts.length, n + 1, `a retry after ${wait} ms`);
  }
  assert.deepEqual(starts, [0, 1000, 3000, 7000, 15000, 23000]);
  assert.equal(errors.length, 6);
  failing = false;
  clock.advance(8000);
  await flush();
  assert.equal(starts.length, 7);
  clock.advance(60_000);
  await flush();
  assert.equal(starts.length, 7, 'a success ends the retries');
  runner.run();
  await flush();
  assert.equal(starts.length, 8, 'the next request runs at once');
  stop();
});

test('after stop nothing more runs', async () => {
  const { clock, runner, starts, stop } = setup();
  runner.run();
  await flush();
  stop();
  runner.run();
  clock.advance(5000);
  await flush();
  assert.deepEqual(starts, [0]);
});
