// Runs after every other test (scripts/run-tests.mjs starts it last, on its own): the suite must
// leave no process marked by a test lab prefix (kw-t…), no kw-t… namespace, mount or cgroup.
// What was already there before the suite started (another run on this machine; the baseline
// run-tests.mjs took) is not this run's; what another run makes meanwhile goes away within the wait.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { scanLeftovers } from '../support/leftovers.js';

const WAIT_MS = 30_000;

test('the suite left no test-lab process, namespace, mount or cgroup behind', async () => {
  const file = process.env.KUBEWIRE_LEFTOVER_BASELINE;
  const baseline = new Set<string>(file ? (JSON.parse(readFileSync(file, 'utf8')) as string[]) : []);
  const fresh = () => scanLeftovers().filter((l) => !baseline.has(l));
  let left = fresh();
  for (const until = Date.now() + WAIT_MS; left.length && Date.now() < until; left = fresh())
    await new Promise((r) => setTimeout(r, 1000));
  assert.deepEqual(left, [], `left behind by the suite:\n${left.join('\n')}`);
});
