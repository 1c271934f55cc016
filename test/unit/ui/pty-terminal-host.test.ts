// The pty terminal host on real node-pty (plain programs, no namespace needed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { PtyTerminalHost, TerminalNotFound, type PtySpawn } from '../../../server/terminals/pty-terminal-host.js';
import type { TerminalEvent } from '../../../server/terminals/terminal-host.js';

const spawn = (createRequire(import.meta.url)('node-pty') as { spawn: PtySpawn }).spawn;
const env = { PATH: '/usr/bin:/bin', TERM: 'xterm-256color' };

function until(host: PtyTerminalHost, pred: (e: TerminalEvent) => boolean, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error('timed out'));
    }, ms);
    const off = host.onEvent((e) => {
      if (!pred(e)) return;
      clearTimeout(timer);
      off();
      resolve();
    });
  });
}

test('a shell echoes input, keeps scrollback, resizes, and closes', async () => {
  const host = new PtyTerminalHost(spawn, { scrollbackChars: 64 * 1024, now: Date.now, killGraceMs: 500 });
  try {
    const t = await host.open({ namespace: 'kw-x', title: 'cat', argv: ['cat'], env, cols: 80, rows: 24 });
    assert.match(t.id, /^[0-9a-f]{16}$/);
    const echoed = until(host, () => host.scrollback(t.id).includes('hello'), 3000);
    host.write(t.id, 'hello\r');
    await echoed;
    host.resize(t.id, 100, 30);
    assert.deepEqual([host.get(t.id)!.cols, host.get(t.id)!.rows], [100, 30]);
    assert.equal(await host.close(t.id), true);
    assert.equal(host.get(t.id), undefined);
    assert.equal(await host.close(t.id), false);
    assert.throws(() => host.write(t.id, 'x'), TerminalNotFound);
  } finally {
    await host.dispose();
  }
});

test('a shell that ignores SIGHUP is killed after the grace period; dispose closes all', async () => {
  const host = new PtyTerminalHost(spawn, { scrollbackChars: 1024, now: Date.now, killGraceMs: 300 });
  const a = await host.open({
    namespace: 'kw-x',
    title: 'stubborn',
    argv: ['bash', '-c', 'trap "" HUP; echo ready; sleep 60'],
    env,
    cols: 80,
    rows: 24,
  });
  await until(host, () => host.scrollback(a.id).includes('ready'), 3000).catch(() => {});
  const b = await host.open({ namespace: 'kw-x', title: 'cat', argv: ['cat'], env, cols: 80, rows: 24 });
  assert.equal(host.list().length, 2);
  await host.dispose();
  assert.equal(host.list().length, 0);
  for (const pid of [a.pid, b.pid]) assert.throws(() => process.kill(pid, 0), /ESRCH/);
});

test('an exited shell reports its exit code and stays listed until closed', async () => {
  const host = new PtyTerminalHost(spawn, { scrollbackChars: 1024, now: Date.now, killGraceMs: 300 });
  try {
    const exited = until(host, (e) => e.type === 'exit', 3000);
    const t = await host.open({
      namespace: 'kw-x',
      title: 'false',
      argv: ['bash', '-c', 'exit 3'],
      env,
      cols: 80,
      rows: 24,
    });
    await exited;
    assert.equal(host.get(t.id)!.exitCode, 3);
    host.write(t.id, 'ignored');
    assert.equal(await host.close(t.id), true);
  } finally {
    await host.dispose();
  }
});
