// Shells nobody shows are closed after the grace period; attaching in time keeps them; the host
// refuses shells beyond its cap with a clear error. Real node-pty processes, a manual clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { PtyTerminalHost, TerminalLimit, type PtySpawn } from '../../../server/terminals/pty-terminal-host.js';
import { TerminalAttachments, type GraceTimers } from '../../../server/terminals/terminal-attachments.js';
import { eventually as until } from '../../helpers/eventually.js';

const spawn = (createRequire(import.meta.url)('node-pty') as { spawn: PtySpawn }).spawn;
const env = { PATH: '/usr/bin:/bin', TERM: 'xterm-256color' };
const spec = { namespace: 'kw-x', title: 'cat', argv: ['cat'], env, cols: 80, rows: 24 };

/** Timers that fire only when the test says how much time passed. */
class ManualTimers implements GraceTimers {
  now = 0;
  private jobs: { at: number; fn: () => void; live: boolean }[] = [];
  schedule(fn: () => void, ms: number): () => void {
    const job = { at: this.now + ms, fn, live: true };
    this.jobs.push(job);
    return () => (job.live = false);
  }
  advance(ms: number): void {
    this.now += ms;
    for (const j of this.jobs.filter((j) => j.live && j.at <= this.now)) {
      j.live = false;
      j.fn();
    }
  }
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('a dropped socket ends its shells after the grace; a reattach in time keeps them', async () => {
  const host = new PtyTerminalHost(spawn, { scrollbackChars: 1024, now: Date.now, killGraceMs: 300 });
  const timers = new ManualTimers();
  const att = new TerminalAttachments(host, { graceMs: 10_000, timers });
  try {
    const page1 = {};
    const page2 = {};
    const a = await host.open(spec);
    const b = await host.open(spec);
    att.attach(page1, a.id);
    att.attach(page1, b.id);
    att.dropSocket(page1); // the page reloads...
    timers.advance(5_000);
    att.attach(page2, a.id); // ...and reattaches to one of them in time
    timers.advance(5_001);
    await until(() => host.get(b.id) === undefined, 3000);
    assert.equal(alive(b.pid), false, 'the unattached shell is gone');
    assert.ok(host.get(a.id), 'the reattached shell lives');
    assert.equal(alive(a.pid), true);
    att.detach(page2, a.id);
    timers.advance(10_000);
    await until(() => host.get(a.id) === undefined, 3000);
    assert.equal(alive(a.pid), false);
  } finally {
    att.dispose();
    await host.dispose();
  }
});

test('a shell no page ever attaches to is closed after the grace; one socket of two leaving keeps it', async () => {
  const host = new PtyTerminalHost(spawn, { scrollbackChars: 1024, now: Date.now, killGraceMs: 300 });
  const timers = new ManualTimers();
  const att = new TerminalAttachments(host, { graceMs: 1_000, timers });
  try {
    const orphan = await host.open(spec);
    const shared = await host.open(spec);
    const [x, y] = [{}, {}];
    att.attach(x, shared.id);
    att.attach(y, shared.id);
    att.dropSocket(x);
    timers.advance(2_000);
    await until(() => host.get(orphan.id) === undefined, 3000);
    assert.ok(host.get(shared.id), 'still shown by the other socket');
  } finally {
    att.dispose();
    await host.dispose();
  }
});

test('the host refuses shells beyond its cap with a clear error; exited ones do not count', async () => {
  const host = new PtyTerminalHost(spawn, { scrollbackChars: 1024, now: Date.now, killGraceMs: 300, maxTerminals: 2 });
  try {
    await host.open(spec);
    const short = await host.open({ ...spec, argv: ['true'] });
    await until(() => host.get(short.id)?.exitCode !== null, 3000);
    await host.open(spec);
    await assert.rejects(
      host.open(spec),
      (err: unknown) =>
        err instanceof TerminalLimit &&
        /2 shells are already open on this server \(the limit\); close one first/.test(err.message),
    );
  } finally {
    await host.dispose();
  }
});
