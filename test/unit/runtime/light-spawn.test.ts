// posix_spawn from the netns addon (runtime/kernel/light-spawn.ts), which the runtime layer and the
// local driver use instead of child_process's fork: the same exit codes, pipes, timeouts and errors.
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { lightRun, lightSpawn, lightSpawnAvailable, mkfifoLight } from '../../../runtime/kernel/light-spawn.js';

test('the addon is built and starts programs', () => {
  assert.equal(lightSpawnAvailable(), true, 'dist/native/netns.node with spawn (npm run build)');
});

test('exit code, stdin, stdout and stderr as child_process gives them', async () => {
  assert.deepEqual(await lightRun('sh', ['-c', 'cat; echo oops >&2; exit 3'], { input: 'hello\n' }), {
    exitCode: 3,
    stdout: 'hello\n',
    stderr: 'oops\n',
    timedOut: false,
  });
  // Signal dispositions are reset in the child: SIGPIPE kills `yes` quietly, as in a shell.
  const r = await lightRun('sh', ['-c', 'yes | head -n 1']);
  assert.equal(r.stdout, 'y\n');
  assert.equal(r.stderr, '');
});

test('a timeout kills the program; a missing program is a rejection naming it', async () => {
  const r = await lightRun('sleep', ['30'], { timeoutMs: 100 });
  assert.equal(r.timedOut, true);
  assert.equal(r.exitCode, 128 + 9);
  await assert.rejects(lightRun('/nonexistent/program', []), /spawn \/nonexistent\/program: No such file/);
});

test("the caller's fds become the child's, and a FIFO is made without mkfifo(1)", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kw-light-'));
  try {
    const out = openSync(join(dir, 'out'), 'w');
    const child = await lightSpawn('sh', ['-c', 'echo to-file; echo to-pipe >&3'], ['ignore', out, 'ignore', 'pipe']);
    closeSync(out);
    let fd3 = '';
    child.out.get(3)!.on('data', (d: Buffer) => (fd3 += d.toString()));
    assert.deepEqual(await child.exited, { code: 0, signal: null });
    const pipe = child.out.get(3)!;
    if (!pipe.closed) await new Promise((r) => pipe.once('close', r));
    assert.equal(fd3, 'to-pipe\n');
    assert.equal(readFileSync(join(dir, 'out'), 'utf8'), 'to-file\n');
    assert.equal(mkfifoLight(join(dir, 'fifo'), 0o600), true);
    assert.equal(statSync(join(dir, 'fifo')).isFIFO(), true);
    assert.throws(() => mkfifoLight(join(dir, 'fifo'), 0o600), /EEXIST|exists/i);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
