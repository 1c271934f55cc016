// The helpers on real throwaway namespaces: a second run changes nothing, deleting what is gone
// succeeds, and a sweep removes only namespaces carrying its lab's mark.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, test } from 'node:test';
import { execa } from 'execa';
import { NetnsDriver } from '../../../runtime/host/netns-driver.js';
import { LabCgroup, labCgroupPrefixes } from '../../../runtime/lab/lab-cgroup.js';
import { scriptsDir } from '../../../runtime/project-root.js';
import { namespacesWithPrefix } from './harness.js';

const prefix = `kw-t${randomBytes(3).toString('hex')}-`;
const d = new NetnsDriver(scriptsDir(), undefined, { inProcess: false });
// The same helpers as the local driver runs them: in this process (rtnetlink, batched iptables-restore).
const local = new NetnsDriver(scriptsDir(), undefined, { inProcess: true });
const a = `${prefix}a`;
const b = `${prefix}b`;
const unmarked = `${prefix}unmarked`;

after(async () => {
  // proc-start.sh put its process into the lab's cgroup (<prefix>kubewire/_procs): the namespace
  // sweep does not touch cgroups, so end and remove that tree as reset does, and check it is gone.
  const cg = LabCgroup.of(prefix);
  await cg.kill().catch(() => undefined);
  await d.script('sweep.sh', [prefix]).catch(() => undefined);
  await execa('ip', ['netns', 'delete', unmarked], { reject: false });
  cg.remove();
  assert.equal(labCgroupPrefixes().includes(prefix), false, `the lab's cgroup ${cg.name} is left behind`);
});

const ip = async (ns: string, ...args: string[]) => (await execa('ip', ['-n', ns, ...args])).stdout;

async function helpersAreIdempotent(d: NetnsDriver, a: string, b: string): Promise<void> {
  assert.deepEqual((await d.script('netns-up.sh', [prefix, '--forward', a, b])).json.created, [a, b]);
  assert.deepEqual((await d.script('netns-up.sh', [prefix, '--forward', a, b])).json.created, []);
  assert.equal((await d.script('bridge.sh', [b, 'br0', '1500'])).json.created, true);
  assert.equal((await d.script('bridge.sh', [b, 'br0', '1500'])).json.created, false);
  const attach = [
    a,
    'eth0',
    b,
    'porta',
    '1500',
    '--addr',
    '10.9.0.2/24',
    '--peer-master',
    'br0',
    '--route',
    'default',
    '10.9.0.1',
  ];
  assert.equal((await d.script('attach.sh', attach)).json.created, true);
  const index = await ip(a, '-j', 'link', 'show', 'eth0');
  assert.equal((await d.script('attach.sh', attach)).json.created, false);
  assert.equal(await ip(a, '-j', 'link', 'show', 'eth0'), index, 'same link, not re-created');
  assert.match(await ip(b, 'link', 'show', 'porta'), /master br0/);
  const vx = [a, 'flannel.1', '1', '10.9.0.2', 'eth0', '8472', '1450', '02:aa:00:00:00:01', '10.244.1.0/32'];
  assert.equal((await d.script('vxlan.sh', vx)).json.created, true);
  assert.equal((await d.script('vxlan.sh', vx)).json.created, false);
  const peers = [a, 'flannel.1', '10.244.2.0/24', '10.244.2.0', '02:aa:00:00:00:02', '10.9.0.3'];
  await d.script('vxlan-peers.sh', peers);
  await d.script('vxlan-peers.sh', peers);
  assert.equal((await ip(a, 'route', 'show', '10.244.2.0/24')).split('\n').length, 1);
  const rules = '-A KW-TEST -s 10.244.0.0/16 -j RETURN\n';
  assert.equal(
    (await d.script('iptables-apply.sh', [a, 'nat', 'KW-TEST', 'POSTROUTING'], { input: rules })).json.hooked,
    true,
  );
  assert.equal(
    (await d.script('iptables-apply.sh', [a, 'nat', 'KW-TEST', 'POSTROUTING'], { input: rules })).json.hooked,
    false,
  );
  const save = (await execa('ip', ['netns', 'exec', a, 'iptables-save', '-t', 'nat'])).stdout;
  assert.equal(save.split('\n').filter((l) => l.includes('KW-TEST') && l.startsWith('-A')).length, 2, save);
  await assert.rejects(
    d.script('iptables-apply.sh', [a, 'nat', 'KW-TEST', 'POSTROUTING'], { input: '-A POSTROUTING -j ACCEPT\n' }),
    /rejected rule line/,
  );
}

test('netns-up, attach, bridge, vxlan, peers, iptables: the second run is a no-op (scripts)', async () => {
  await helpersAreIdempotent(d, a, b);
});

test('the same helpers in this process (rtnetlink, iptables-restore per namespace): the second run is a no-op', async () => {
  assert.equal(local.inProcess, true, 'the netns addon is built (npm run build)');
  await helpersAreIdempotent(local, `${prefix}la`, `${prefix}lb`);
  // Bad input gets the script's error and changes nothing.
  await assert.rejects(local.script('bridge.sh', [`${prefix}lb`, 'br0;reboot', '1500']), /invalid interface name/);
  await assert.rejects(local.script('attach.sh', [`${prefix}la`, 'x', `${prefix}nope`, 'y', '1500']), /does not exist/);
  await assert.rejects(
    local.script('vxlan-peers.sh', [`${prefix}la`, 'flannel.1', '10.244.9.0/24', '10.244.9.0', 'zz', '10.9.0.9']),
    /invalid MAC address/,
  );
  assert.equal((await ip(`${prefix}la`, 'route', 'show', '10.244.9.0/24')).trim(), '');
  await d.script('netns-down.sh', [`${prefix}la`, `${prefix}lb`]);
});

test('processes: start in a sandbox with its own hostname, stop by pid+start time only', async () => {
  const log = `/tmp/${prefix}pause.log`;
  const p = (await d.script('proc-start.sh', [b, log, '--sandbox', 'mypod', '--', 'sleep', '30'])).json;
  const h = await d.exec(b, ['hostname'], { joinPid: p.pid as number });
  assert.equal(h.stdout.trim(), 'mypod');
  // A wrong start time never signals the process.
  await d.script('proc-stop.sh', [`${p.pid}:1`]);
  assert.deepEqual(await d.alive([{ pid: p.pid as number, startTime: p.startTime as number }]), [true]);
  await d.script('proc-stop.sh', [`${p.pid}:${p.startTime}`]);
  assert.deepEqual(await d.alive([{ pid: p.pid as number, startTime: p.startTime as number }]), [false]);
  await execa('rm', ['-f', log]);
});

test('netns-down of what is gone succeeds; sweep removes only namespaces with its mark', async () => {
  await execa('ip', ['netns', 'add', unmarked]); // same prefix, not made by kubewire
  assert.deepEqual((await d.script('netns-down.sh', [a])).json.removed, [a]);
  assert.deepEqual((await d.script('netns-down.sh', [a])).json.removed, []);
  const r = await d.script('sweep.sh', [prefix]);
  assert.deepEqual(r.json.namespaces, [b]);
  assert.deepEqual(namespacesWithPrefix(prefix), [unmarked]);
  assert.deepEqual((await d.script('sweep.sh', [prefix])).json.namespaces, []);
});
