// posix_spawn from the netns addon (runtime/kernel/light-spawn.ts), which the runtime layer and the
// local driver use instead of child_process's fork: the same exit codes, pipes, timeouts and errors.
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
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

test('with netns the child is born in that network namespace and this process stays where it was', async () => {
  const own = readlinkSync('/proc/self/ns/net');
  // A namespace of its own for a sleeping child (unshare execs sleep inside it, same pid).
  const holder = await lightSpawn('unshare', ['--net', '--', 'sleep', '30'], ['ignore', 'ignore', 'ignore']);
  try {
    const path = `/proc/${holder.pid}/ns/net`;
    const deadline = Date.now() + 10_000;
    while (readlinkSync(path) === own && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const theirs = readlinkSync(path);
    assert.notEqual(theirs, own, 'unshare made a namespace');
    // Several at once: each pool thread goes in and comes back.
    const inside = await Promise.all(
      Array.from({ length: 6 }, () => lightRun('readlink', ['/proc/self/ns/net'], { netns: path })),
    );
    for (const r of inside) assert.deepEqual([r.exitCode, r.stdout.trim()], [0, theirs]);
    // The lo of a fresh namespace is down and it has no other link: what `ip link` there shows.
    const links = await lightRun('ip', ['-o', 'link', 'show'], { netns: path });
    assert.equal(links.stdout.trim().split('\n').length, 1);
    const after = await Promise.all(Array.from({ length: 6 }, () => lightRun('readlink', ['/proc/self/ns/net'])));
    for (const r of after) assert.equal(r.stdout.trim(), own, 'the pool threads came back');
    assert.equal(readlinkSync('/proc/self/ns/net'), own);
  } finally {
    holder.kill('SIGKILL');
    await holder.exited;
  }
  await assert.rejects(
    lightRun('true', [], { netns: '/run/netns/kw-no-such-namespace' }),
    /spawn \S*true: cannot enter network namespace \/run\/netns\/kw-no-such-namespace: No such file/,
  );
});
