// Replays the first guided lab headless on a real lab (its own prefix), as `kubewire lab run` does,
// with every check required to fail before its step and pass after it.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';

const root = process.env.KUBEWIRE_ROOT ?? resolve('.');
const cli = join(root, 'dist', 'cli', 'main.js');
const prefix = `kw-t${randomBytes(3).toString('hex')}-`;
const stateDir = mkdtempSync(join(tmpdir(), 'kw-lab-state-'));
const env = { KUBEWIRE_PREFIX: prefix, KUBEWIRE_STATE_DIR: stateDir };

after(async () => {
  await execa(process.execPath, [cli, 'reset'], { env, reject: false });
  rmSync(stateDir, { recursive: true, force: true });
  const left = (await execa('ip', ['netns', 'list'])).stdout.split('\n').filter((l) => l.startsWith(prefix));
  assert.deepEqual(left, [], 'reset left namespaces behind');
});

test(
  'kubewire lab run veth-by-hand --strict passes every step on a fresh article cluster',
  { timeout: 240_000 },
  async () => {
    const r = await execa(process.execPath, [cli, 'lab', 'run', 'veth-by-hand', '--strict', '--json'], {
      env,
      reject: false,
      all: true,
    });
    const line = r.stdout.trim().split('\n').pop() ?? '';
    let result: {
      passed: boolean;
      steps: Array<{
        step: number;
        passed: boolean;
        failedBeforeSolve: boolean | null;
        check: { failures: string[] } | null;
        solve: { failures: string[] } | null;
      }>;
    };
    try {
      result = JSON.parse(line);
    } catch {
      assert.fail(`lab run printed no JSON result (exit ${r.exitCode}):\n${r.all}`);
    }
    const failed = result.steps.filter((s) => !s.passed);
    assert.deepEqual(failed, [], JSON.stringify(failed, null, 2));
    assert.equal(result.steps.length, 8);
    assert.equal(result.passed, true);
    assert.equal(r.exitCode, 0);
    // Every step that claims so had a check that failed before the step was done.
    assert.ok(result.steps.filter((s) => s.failedBeforeSolve === true).length >= 7);
  },
);
