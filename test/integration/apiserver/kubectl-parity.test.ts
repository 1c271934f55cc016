// The kubectl parity suite: ~90 real kubectl 1.32 commands (every `create` generator, apply client
// and server side, diff, patch, edit, replace, label, annotate, rollout, set, scale, autoscale,
// wait, expose, auth, cordon, drain, taint, api-resources, api-versions, explain, events) against
// the apiserver with the controllers running, each checked for its output and its effect. A case
// that does not work yet is a node:test `todo` with its reason, never skipped. `kubectl top` and a
// drain of real pods need real kubelets: test/integration/kubelet covers them on `kubewire up`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { NO_KUBECTL } from './harness.js';
import { runCase, startParityCluster, type Ctx } from './kubectl-parity.js';
import { applyCases } from './kubectl-parity-apply.cases.js';
import { createCases } from './kubectl-parity-create.cases.js';
import { workloadCases } from './kubectl-parity-workloads.cases.js';

describe('kubectl parity', { timeout: 300_000 }, () => {
  let ctx: Ctx;
  let stop: (() => Promise<void>) | undefined;
  before(async () => {
    if (NO_KUBECTL) throw new Error(NO_KUBECTL);
    ({ ctx, stop } = await startParityCluster());
  });
  after(async () => {
    await stop?.();
  });

  const cases = [...createCases, ...applyCases, ...workloadCases];
  test('the table has about 80 commands, none of them twice', () => {
    assert.ok(cases.length >= 80, `${cases.length} cases`);
    assert.equal(new Set(cases.map((c) => c.name)).size, cases.length);
  });
  for (const c of cases) test(`kubectl ${c.name}`, { todo: c.todo }, () => runCase(ctx, c));

  test('the controllers reported no unexpected errors', () => {
    // Conflicts are retried by design; anything else is a bug the commands above provoked.
    const unexpected = ctx.errors.filter((e) => !/the object has been modified|Operation cannot be fulfilled/.test(e));
    assert.deepEqual(unexpected, []);
  });
});
