// The control plane's replica supervisor with a stand-in program (node sleeping) instead of
// kubewire: each replica is a process named by its component with its own identity; a killed
// leader is recorded as such and started again (new process, new identity) after the back-off;
// stop ends them all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SystemClock } from '../../../cluster/client/clock.js';
import {
  ControlPlaneReplicas,
  type ControlPlaneStatus,
  type ReplicaStatus,
} from '../../../cluster/agents/control-plane-replicas.js';
import { readStartTime } from '../../../runtime/host/netns-driver.js';
import { eventually as until } from '../../helpers/eventually.js';

const cmdline = (pid: number): string[] => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
};

test('replicas run as named processes; a killed leader is recorded and started again; stop ends all', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kw-cp-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  let schedulerHolder = '';
  const marked: number[] = [];
  const cp = new ControlPlaneReplicas({
    // What stands in for `kubewire`: sleeps until signalled, whatever its arguments.
    command: [process.execPath, '-e', 'setInterval(() => {}, 1000)', '--'],
    replicas: 2,
    args: { 'kube-scheduler': ['--kubeconfig', '/k/s'], 'kube-controller-manager': ['--kubeconfig', '/k/cm'] },
    logDir: dir,
    statusFile: join(dir, 'control-plane.json'),
    lease: async (name) =>
      name === 'kube-scheduler'
        ? ({ metadata: { name }, spec: { holderIdentity: schedulerHolder } } as never)
        : undefined,
    mark: (pid) => marked.push(pid),
    startTime: readStartTime,
    clock: new SystemClock(),
    initialBackoffMs: 50,
    leasePollMs: 50,
    log: () => {},
  });
  t.after(() => cp.stop(500));
  await cp.start();
  const first = await until('four replicas', () => (cp.status().replicas.length === 4 ? cp.status() : undefined));
  assert.deepEqual(marked.sort(), first.replicas.map((r) => r.pid).sort(), 'every replica is marked');
  for (const r of first.replicas) {
    const argv = cmdline(r.pid);
    assert.equal(argv[0], r.component);
    assert.ok(argv.includes(r.component === 'kube-scheduler' ? 'scheduler' : 'controller-manager'));
    assert.deepEqual(argv.slice(-3), ['--identity', r.identity, '--exit-with-parent']);
    assert.match(r.identity, /^[^_]+_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  }
  assert.equal(new Set(first.replicas.map((r) => r.identity)).size, 4);

  const leader = first.replicas.find((r) => r.component === 'kube-scheduler' && r.replica === 0)!;
  schedulerHolder = leader.identity;
  await until('leading seen', () =>
    cp.status().replicas.find((r) => r.pid === leader.pid && r.leading) ? true : undefined,
  );
  const onDisk = JSON.parse(readFileSync(join(dir, 'control-plane.json'), 'utf8')) as ControlPlaneStatus;
  assert.equal(onDisk.replicas.length, 4);

  process.kill(leader.pid, 'SIGKILL');
  const again = await until('restarted', (): ReplicaStatus | undefined =>
    cp.status().replicas.find((r) => r.component === 'kube-scheduler' && r.replica === 0 && r.pid !== leader.pid),
  );
  assert.equal(again.restarts, 1);
  assert.notEqual(again.identity, leader.identity);
  assert.equal(again.leading, false);
  const exit = cp.status().exits.find((e) => e.pid === leader.pid)!;
  assert.deepEqual(
    { signal: exit.signal, wasLeader: exit.wasLeader, identity: exit.identity, component: exit.component },
    { signal: 'SIGKILL', wasLeader: true, identity: leader.identity, component: 'kube-scheduler' },
  );

  const all = cp.status().replicas;
  await cp.stop(2000);
  for (const r of all) assert.notEqual(await readStartTime(r.pid), r.startTime, `pid ${r.pid} ended`);
  const exits = cp.status().exits;
  assert.equal(exits.length, 5, 'the kill and the four stops');
  assert.ok(exits.slice(1).every((e) => e.signal === 'SIGTERM' || e.code === 0));
});

test('a replica count below 1 is refused before anything starts', () => {
  assert.throws(
    () =>
      new ControlPlaneReplicas({
        command: ['true'],
        replicas: 0,
        args: { 'kube-scheduler': [], 'kube-controller-manager': [] },
        logDir: '/nonexistent',
        statusFile: '/nonexistent/x.json',
        lease: async () => undefined,
        startTime: async () => undefined,
        clock: new SystemClock(),
        log: () => {},
      }),
    /control plane replicas: 0 is not a positive integer/,
  );
});
