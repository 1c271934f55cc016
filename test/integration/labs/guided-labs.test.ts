// Replays every guided lab but veth-by-hand (veth-lab.test.ts) headless on real namespaces under a
// test prefix, as `kubewire lab run ID --strict` does: each check must fail before its step and
// pass after it. Labs run one after the other under one prefix; each lab's topology is reset after
// its run, pass or fail, and the teardown resets them all again and looks for leftovers.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { execa } from 'execa';
import { parse } from 'yaml';

const root = process.env.KUBEWIRE_ROOT ?? resolve('.');
const cli = join(root, 'dist', 'cli', 'main.js');
const prefix = `kw-t${randomBytes(3).toString('hex')}-`;
const stateDir = mkdtempSync(join(tmpdir(), 'kw-labs-state-'));
const env = { KUBEWIRE_PREFIX: prefix, KUBEWIRE_STATE_DIR: stateDir, KUBEWIRE_APISERVER_PORT: '0' };

// In the order of the value; each entry: lab id and its number of steps.
const LABS: Array<[string, number]> = [
  ['service-network', 5],
  ['flannel-vxlan', 3],
  ['same-node-l2', 3],
  ['in-and-out', 4],
  ['pause-container', 3],
  ['controllers', 3],
  ['scheduling', 3],
  ['dns-and-ha', 5],
  ['control-plane', 2],
];

/** The lab name (topology `name:`) a lab's reset needs. */
function topologyName(id: string): string {
  const labDir = join(root, 'labs', id);
  const lab = parse(readFileSync(join(labDir, 'lab.yaml'), 'utf8')) as { topology: string };
  const topo = parse(readFileSync(resolve(labDir, lab.topology), 'utf8')) as { name: string };
  assert.ok(dirname(resolve(labDir, lab.topology)).startsWith(join(root, 'labs')));
  return topo.name;
}

const reset = (id: string) =>
  execa(process.execPath, [cli, 'reset', '--lab', topologyName(id)], { env, reject: false });

after(async () => {
  for (const [id] of LABS) await reset(id);
  rmSync(stateDir, { recursive: true, force: true });
  const left = (await execa('ip', ['netns', 'list'])).stdout.split('\n').filter((l) => l.startsWith(prefix));
  assert.deepEqual(left, [], 'reset left namespaces behind');
});

type Result = { passed: boolean; steps: Array<{ step: number; passed: boolean; failedBeforeSolve: boolean | null }> };

for (const [id, steps] of LABS) {
  test(`kubewire lab run ${id} --strict passes every step`, { timeout: 300_000 }, async () => {
    try {
      const r = await execa(process.execPath, [cli, 'lab', 'run', id, '--strict', '--json'], {
        env,
        reject: false,
        all: true,
      });
      const line = r.stdout.trim().split('\n').pop() ?? '';
      let result: Result;
      try {
        result = JSON.parse(line) as Result;
      } catch {
        assert.fail(`lab run ${id} printed no JSON result (exit ${r.exitCode}):\n${r.all}`);
      }
      const failed = result.steps.filter((s) => !s.passed);
      assert.deepEqual(failed, [], JSON.stringify(failed, null, 2));
      assert.equal(result.steps.length, steps);
      assert.equal(result.passed, true);
      assert.equal(r.exitCode, 0);
      // Strict: every step's check failed before the step was done (none of these labs has a
      // step that only looks).
      assert.deepEqual(
        result.steps.filter((s) => s.failedBeforeSolve !== true).map((s) => s.step),
        [],
      );
    } finally {
      // The next lab reuses node names under the same prefix: this one must be gone first.
      await reset(id);
    }
  });
}
