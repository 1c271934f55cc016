// The lab mark (runtime/lab/lab-cgroup.ts): every process a lab starts lives in the lab's cgroup,
// and reset ends them all by it, also when whoever started them was killed -9 and they sit,
// re-parented, in a network namespace that has no name (the stale `sleep infinity`).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { LabCgroup, trackingHierarchy } from '../../../runtime/lab/lab-cgroup.js';
import { LabOwners } from '../../../runtime/lab/lab-owners.js';
import { orphanProcesses } from '../../../runtime/lab/lab-orphans.js';
import { NetnsDriver } from '../../../runtime/host/netns-driver.js';
import { LabPaths } from '../../../runtime/lab/lab-paths.js';
import { LabRuntime } from '../../../runtime/lab/lab-runtime.js';
import { cliLabEnvironment } from '../../../runtime/guide/cli-lab-environment.js';
import { LabRunner } from '../../../runtime/guide/lab-runner.js';
import { loadLab } from '../../../runtime/guide/lab-file.js';
import { labsDir, scriptsDir } from '../../../runtime/project-root.js';
import { eventually } from '../../helpers/eventually.js';

const prefix = `kw-t${randomBytes(3).toString('hex')}-`;
const labExec = join(scriptsDir(), 'lab-exec.sh');
const driver = new NetnsDriver(scriptsDir());
const work = mkdtempSync(join(tmpdir(), 'kw-marks-'));
const paths = new LabPaths(work, 'marks');
const owners = new LabOwners(join(work, 'owners'));
const runtime = new LabRuntime(driver, paths, { internetServer: '/nonexistent', owners });
const strays: number[] = [];

after(async () => {
  for (const pid of strays) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  await runtime.reset(prefix);
  rmSync(work, { recursive: true, force: true });
});

const alive = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\S+ \(.*\) [ZX]/.test(stat);
  } catch {
    return false;
  }
};
const ppid = (pid: number) => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
const sleepers = (cg: LabCgroup) =>
  cg.pids().filter((p) => readFileSync(`/proc/${p}/cmdline`, 'utf8').startsWith('sleep\0'));

test('a detached process a step started, orphaned in a nameless network namespace after a kill -9 of its starter, is ended by reset', async () => {
  const ns = `${prefix}node5`;
  await driver.script('netns-up.sh', [prefix, ns]);
  const cg = new LabCgroup(trackingHierarchy(), prefix);
  // As the lab runner runs a solve: the script inside the lab's cgroup leaves a detached
  // `unshare --net sleep` behind (veth-by-hand's step 1), then its starter dies by SIGKILL.
  const starter = execa(
    labExec,
    [
      prefix,
      'guide',
      '--',
      'ip',
      'netns',
      'exec',
      ns,
      'bash',
      '-c',
      'setsid unshare --net sleep 1000 </dev/null >/dev/null 2>&1 & wait',
    ],
    { reject: false },
  );
  const sleeper = await eventually(() => {
    const s = sleepers(cg);
    assert.equal(s.length, 1, `sleepers: ${s}`);
    return s[0]!;
  });
  strays.push(sleeper);
  starter.kill('SIGKILL');
  await starter;
  await eventually('the sleeper reparented', () => ppid(sleeper) !== starter.pid);
  // Its network namespace is its own and has no name: no `ip netns pids` finds it.
  assert.notEqual(
    (await execa('readlink', [`/proc/${sleeper}/ns/net`])).stdout,
    (await execa('stat', ['-L', '-c', 'net:[%i]', `/var/run/netns/${ns}`])).stdout,
  );
  assert.equal((await execa('ip', ['netns', 'identify', String(sleeper)])).stdout.trim(), '');
  // proc-start.sh's processes carry the mark too.
  const log = join(work, 'p.log');
  const started = await driver.script('proc-start.sh', [ns, log, '--', 'sleep', '1001']);
  const pid = started.json.pid as number;
  strays.push(pid);
  assert.match(readFileSync(`/proc/${pid}/cgroup`, 'utf8'), new RegExp(`:/${prefix}kubewire/_procs\\n`));

  const r = await runtime.reset(prefix);
  assert.ok(r.processes.includes(sleeper) && r.processes.includes(pid), `reset ended ${r.processes}`);
  await eventually('no lab process alive after reset', () => !alive(sleeper) && !alive(pid));
  assert.ok(!existsSync(cg.dir), `${cg.dir} is left after reset`);
  assert.ok(r.namespaces.includes(ns));
});

test('the mark works on a cgroup v1 hierarchy too (the pids controller): join, list, kill, remove', async () => {
  const v1 = '/sys/fs/cgroup/pids';
  assert.ok(existsSync(join(v1, 'cgroup.procs')), 'this host has a v1 pids hierarchy');
  const cg = new LabCgroup({ version: 1, root: v1 }, prefix, () => [v1]);
  const child = execa('sleep', ['1002'], { reject: false });
  strays.push(child.pid!);
  cg.join('procs', child.pid!);
  assert.deepEqual(cg.pids(), [child.pid]);
  const killed = await cg.kill();
  assert.deepEqual(killed, [child.pid]);
  await child;
  assert.deepEqual(cg.remove().sort(), [cg.dir, cg.leaf('procs')].sort());
  assert.ok(!existsSync(cg.dir));
});

test('marked processes of no running lab are orphans; a lab with its state file owns them', async () => {
  const h = trackingHierarchy();
  const cg = new LabCgroup(h, prefix);
  const child = execa(labExec, [prefix, 'terminals', '--', 'sleep', '1003'], { reject: false });
  strays.push(child.pid!);
  await eventually(`only ${child.pid} in the cgroup`, () => {
    assert.deepEqual(cg.pids(), [child.pid]);
    return true;
  });
  const mine = () => orphanProcesses(h, owners).filter((p) => p.prefix === prefix);
  assert.deepEqual(
    mine().map((p) => [p.pid, p.args]),
    [[child.pid, 'sleep 1003']],
  );
  const stateFile = join(work, 'state.json');
  writeFileSync(stateFile, '{}');
  owners.register({ prefix, lab: 'marks', stateFile });
  assert.deepEqual(mine(), []);
  rmSync(stateFile);
  assert.equal(mine().length, 1, 'a lab whose state file is gone runs no more');
  await cg.kill();
  await child;
  owners.remove(prefix);
});

test('lab-exec.sh refuses a bad prefix or leaf; a namespace no lab marked runs its command unmarked', async () => {
  for (const args of [
    ['kw-x;id', 'procs'],
    ['', 'procs'],
    [prefix, 'nowhere'],
    [prefix, '../x'],
  ]) {
    const r = await execa(labExec, [...args, '--', 'true'], { reject: false });
    assert.equal(r.exitCode, 2, `lab-exec ${args.join(' ')} was accepted`);
  }
  const unmarked = `${prefix}unmarked`;
  await execa('ip', ['netns', 'add', unmarked]);
  try {
    const r = await execa(labExec, ['--netns', unmarked, 'captures', '--', 'cat', '/proc/self/cgroup'], {
      reject: false,
    });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /kubewire/);
  } finally {
    await execa('ip', ['netns', 'delete', unmarked]);
  }
});

test("veth-by-hand's step 1 check ignores another lab's `sleep infinity` in a nameless namespace, and sees this lab's", async () => {
  const lab = loadLab(join(labsDir(), 'veth-by-hand'), labsDir());
  const runner = new LabRunner(cliLabEnvironment(prefix, work), join(labsDir(), 'lib', 'lab.sh'));
  const step1 = lab.steps[0]!;
  // A stale one, as the issue found it: not started by this lab (no mark).
  const stale = execa('unshare', ['--net', 'sleep', 'infinity'], { reject: false });
  strays.push(stale.pid!);
  await eventually(
    "the stale sleep exec'd",
    () => readFileSync(`/proc/${stale.pid}/cmdline`, 'utf8') === 'sleep\0infinity\0',
  );
  const before = await runner.check(lab, step1);
  assert.equal(before.ok, false, `the check passed on a stale process:\n${before.output}`);
  // This lab's: started from a lab terminal (its shell is in the lab's cgroup).
  const ours = execa(labExec, [prefix, 'terminals', '--', 'unshare', '--net', 'sleep', 'infinity'], { reject: false });
  strays.push(ours.pid!);
  await eventually("our sleep exec'd", () => readFileSync(`/proc/${ours.pid}/cmdline`, 'utf8') === 'sleep\0infinity\0');
  const check = await runner.check(lab, step1);
  assert.equal(check.ok, true, check.output);
  stale.kill('SIGKILL');
  await stale;
  await new LabCgroup(trackingHierarchy(), prefix).kill();
  await ours;
});
