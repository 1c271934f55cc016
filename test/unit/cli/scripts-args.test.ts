// The scripts that take arguments read them with util.parseArgs: a typo is refused (exit 2) before
// they do anything. Each runs from a copy in an empty folder, as an unprivileged user, so a
// version that ignored its arguments could neither run the suite nor install anything.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { projectRoot } from '../../../runtime/project-root.js';

const dir = mkdtempSync(join(tmpdir(), 'kw-scripts-args-'));
after(() => rmSync(dir, { recursive: true, force: true }));
chmodSync(dir, 0o755);
mkdirSync(join(dir, 'scripts'), { mode: 0o755 });
for (const s of ['bootstrap.mjs', 'run-tests.mjs']) {
  copyFileSync(join(projectRoot(), 'scripts', s), join(dir, 'scripts', s));
  chmodSync(join(dir, 'scripts', s), 0o644);
}

const script = (name: string, args: string[]) =>
  execa(process.execPath, [join(dir, 'scripts', name), ...args], { reject: false, uid: 65534, gid: 65534, cwd: dir });

test('run-tests refuses what is neither a tier nor a test file (a typo used to run every tier)', async () => {
  for (const [args, problem] of [
    [['unti'], /'unti' is neither a tier \(unit, integration, e2e\) nor a \.js test file/],
    [['unit', '--grep', 'x'], /--grep/],
  ] as const) {
    const r = await script('run-tests.mjs', [...args]);
    assert.equal(r.exitCode, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, problem);
    assert.match(r.stderr, /usage: node scripts\/run-tests\.mjs/);
  }
  const help = await script('run-tests.mjs', ['--help']);
  assert.equal(help.exitCode, 0, help.stderr);
  assert.match(help.stdout, /unit\|integration\|e2e/);
});

test('bootstrap refuses an unknown purpose or flag, and --for without a value, naming --for', async () => {
  for (const [args, problem] of [
    [['--for', 'tset'], /--for "tset" is not start, test or bench/],
    [['--for=tset'], /--for "tset" is not start, test or bench/],
    [['--for'], /--for/],
    [['--fro', 'test'], /--fro/],
  ] as const) {
    const r = await script('bootstrap.mjs', [...args]);
    assert.equal(r.exitCode, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, problem);
    assert.match(r.stderr, /usage: node scripts\/bootstrap\.mjs \[--for start\|test\|bench\]/);
  }
  // Accepted, it goes on to its first check (root), in both spellings.
  for (const args of [['--for', 'test'], ['--for=bench']]) {
    const r = await script('bootstrap.mjs', args);
    assert.equal(r.exitCode, 1, r.stderr);
    assert.match(r.stderr, /this needs root/);
  }
});
