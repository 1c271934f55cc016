// reset scales: a lab's thousand namespaces (made here, marked as a lab's, each with a process in
// it) go in one sweep with one `ip -batch`, no per-namespace helper and no timeout that aborts
// the rest. (A lab is held to 64 nodes and 1,000 pods, labs/README.md, so ~1,070 namespaces.)
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { NetnsDriver } from '../../../runtime/host/netns-driver.js';
import { LabPaths } from '../../../runtime/lab/lab-paths.js';
import { LabRuntime } from '../../../runtime/lab/lab-runtime.js';
import { LabOwners } from '../../../runtime/lab/lab-owners.js';
import { scriptsDir } from '../../../runtime/project-root.js';

const N = 1000;
const prefix = `kw-t${randomBytes(3).toString('hex')}-`;
const work = mkdtempSync(join(tmpdir(), 'kw-scale-'));
const runtime = new LabRuntime(new NetnsDriver(scriptsDir()), new LabPaths(work, 'scale'), {
  internetServer: '/nonexistent',
  owners: new LabOwners(join(work, 'owners')),
});
const ours = () => readdirSync('/run/netns').filter((n) => n.startsWith(prefix));

after(async () => {
  await runtime.reset(prefix).catch(() => undefined);
  rmSync(work, { recursive: true, force: true });
});

test(`reset removes ${N} marked namespaces, with a process in each, in one sweep`, { timeout: 300_000 }, async (t) => {
  const names = Array.from({ length: N }, (_, i) => `${prefix}p${i}`);
  mkdirSync('/run/kubewire/netns', { recursive: true });
  for (const n of names) writeFileSync(`/run/kubewire/netns/${n}`, `${prefix}\n`);
  await execa('ip', ['-batch', '-'], { input: names.map((n) => `netns add ${n}`).join('\n') + '\n' });
  // A process in every tenth one, unmarked (started by hand, as a learner would): the sweep kills
  // what runs inside a namespace it removes.
  const sleepers = names
    .filter((_, i) => i % 10 === 0)
    .map((n) => execa('ip', ['netns', 'exec', n, 'sleep', '600'], { reject: false }));
  // Each one inside its namespace (exec'd into sleep) before the reset starts.
  for (const s of sleepers) {
    for (let i = 0; !readFileSync(`/proc/${s.pid}/cmdline`, 'utf8').startsWith('sleep\0'); i++) {
      if (i > 500) throw new Error(`sleeper ${s.pid} did not start`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  assert.equal(ours().length, N);
  const t0 = performance.now();
  const r = await runtime.reset(prefix);
  const ms = performance.now() - t0;
  t.diagnostic(`reset of ${N} namespaces: ${Math.round(ms)} ms`);
  assert.equal(r.namespaces.length, N);
  assert.deepEqual(ours(), []);
  assert.deepEqual(
    readdirSync('/run/kubewire/netns').filter((n) => n.startsWith(prefix)),
    [],
  );
  const exits = await Promise.all(sleepers);
  assert.ok(
    exits.every((e) => e.signal === 'SIGKILL'),
    'a process inside a removed namespace survived',
  );
});
