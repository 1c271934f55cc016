// `up` refuses a prefix that is not this lab's to take, before it stops or changes anything: the
// running lab keeps its cluster process, and no namespace is made.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { cliMain, defaultTopology } from '../../../runtime/project-root.js';

const base = mkdtempSync(join(tmpdir(), 'kw-refuse-'));
const p1 = `kw-t${randomBytes(3).toString('hex')}-`;
const p2 = `kw-t${randomBytes(3).toString('hex')}-`;
const sleeper = execa('sleep', ['600'], { reject: false });

after(async () => {
  sleeper.kill('SIGKILL');
  await sleeper;
  rmSync(base, { recursive: true, force: true });
});

const startTime = (pid: number) => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[19]);
const alive = (pid: number) => {
  try {
    return !/^\S+ \(.*\) [ZX]/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

/** A lab's state as `up` leaves it: prefix, and a recorded cluster process (here a sleep). */
function fakeLab(lab: string, prefix: string, cluster?: number) {
  mkdirSync(join(base, lab), { recursive: true });
  const processes = cluster
    ? { cluster: { pid: cluster, startTime: startTime(cluster), netns: '-', argv: ['sleep'], log: '/dev/null' } }
    : {};
  writeFileSync(
    join(base, lab, 'state.json'),
    JSON.stringify({ version: 1, lab, prefix, namespaces: [], pods: {}, processes, phase: 'up' }),
  );
}

// The caller's KUBEWIRE_PREFIX/KUBEWIRE_LAB (a helper's isolation variables) are not passed on:
// a KUBEWIRE_PREFIX stands in for --prefix, so the empty-prefix topology below was accepted under
// it and a whole article lab was built, whose state folder after() then deleted.
const up = (args: string[]) =>
  execa(process.execPath, [cliMain(), 'up', ...args, '--state-dir', base], {
    reject: false,
    env: { KUBEWIRE_APISERVER_PORT: '0', KUBEWIRE_PREFIX: '', KUBEWIRE_LAB: '' },
    all: true,
  });
const namespaces = async (prefix: string) =>
  (await execa('ip', ['netns', 'list'])).stdout.split('\n').filter((l) => l.startsWith(prefix));

test("up of the lab under another prefix refuses before it stops the running lab's cluster process", async () => {
  fakeLab('article', p1, sleeper.pid!);
  const r = await up([defaultTopology(), '--prefix', p2]);
  assert.notEqual(r.exitCode, 0, r.all);
  assert.match(r.all ?? '', new RegExp(`prefix: lab article is already built with prefix ${p1}`));
  assert.ok(alive(sleeper.pid!), 'the running lab lost its cluster process');
  assert.deepEqual(await namespaces(p2), []);
  rmSync(join(base, 'article'), { recursive: true });
});

test('a prefix another lab of the state folder has is refused, naming the field', async () => {
  fakeLab('other', p2);
  const r = await up([defaultTopology(), '--prefix', p2]);
  assert.notEqual(r.exitCode, 0, r.all);
  assert.match(r.all ?? '', new RegExp(`prefix: "${p2}" is already the prefix of lab other`));
  assert.deepEqual(await namespaces(p2), []);
  rmSync(join(base, 'other'), { recursive: true });
});

test('prefix: "" in a topology is an error naming the field, not the default lab kw-', async () => {
  const file = join(base, 'empty-prefix.yaml');
  writeFileSync(file, readFileSync(defaultTopology(), 'utf8').replace(/^name: (.*)$/m, 'name: $1\nprefix: ""'));
  const r = await up([file]);
  assert.notEqual(r.exitCode, 0, r.all);
  assert.match(r.all ?? '', /empty-prefix\.yaml: prefix: "" must be "kw-"/);
});
