// The apiserver on a 3-member etcd cluster (topology controlPlane.store kind etcd), on a lab built
// by `kubewire up`: three real etcd processes, each in its own lab namespace, marked as the lab's,
// listening on node-network addresses only (nothing of them in the host's namespace), with 0700
// data dirs under the lab's folder; kubectl-style writes land under /registry/... in etcd; kill -9
// of the etcd leader leaves a majority that elects a new leader, and the next write succeeds within
// a bounded time while the controllers' watches go on; reset after a kill -9 of the cluster process
// leaves no member, namespace or folder.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { parse } from 'yaml';
import type { KubeObject } from '../../../common/api-types.js';
import { Resources } from '../../../cluster/client/resources.js';
import { KubeClient } from '../../../cluster/client/kube-client.js';
import { isConflict, isNotFound } from '../../../cluster/client/api-errors.js';
import type { EtcdMemberStatus as EtcdRow } from '../../../runtime/lab/etcd-status.js';
import { readStartTime } from '../../../runtime/host/netns-driver.js';
import { loadState } from '../../../runtime/lab/lab-state.js';
import { eventually, namespacesWithPrefix, TestLab } from '../runtime/harness.js';
import { join } from 'node:path';

const TOPOLOGY = `
name: etcd-store
nodeNetwork: 10.231.209.0/24
podNetwork: 192.168.128.0/18
serviceNetwork: 192.168.192.0/18
gateway: { address: 10.231.209.1, uplink: 198.51.100.1/24 }
internet: { router: 198.51.100.2/24, dns: 198.51.100.53, hosts: [] }
controlPlane: { replicas: 0, store: { kind: etcd, members: 3 } }
nodes:
  - { name: node1, address: 10.231.209.113, subnet: 192.168.128.0/24 }
`;
const ADDRESSES = ['10.231.209.254', '10.231.209.253', '10.231.209.252'];
const ENDPOINTS = ADDRESSES.map((a) => `http://${a}:2379`).join(',');

const lab = new TestLab(TOPOLOGY);
after(() => lab.cleanup());

const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

function clientFrom(kubeconfig: string): KubeClient {
  const k = parse(readFileSync(kubeconfig, 'utf8'));
  return new KubeClient({
    server: k.clusters[0].cluster.server,
    ca: Buffer.from(k.clusters[0].cluster['certificate-authority-data'], 'base64'),
    token: k.users[0].user.token,
  });
}

/** The host namespace's listening TCP sockets' inodes (ss would need its own namespace walk). */
function hostListeningInodes(): Set<string> {
  const inodes = new Set<string>();
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(f, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[3] === '0A') inodes.add(cols[9]!); // LISTEN
    }
  }
  return inodes;
}

function socketInodes(pid: number): string[] {
  const out: string[] = [];
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) out.push(m[1]!);
    } catch {
      // not readable: skip
    }
  }
  return out;
}

test(
  'the apiserver on a 3-member etcd in lab namespaces: kubectl works, the leader dies, writes go on, reset leaves nothing',
  { timeout: 600_000 },
  async () => {
    const file = join(lab.stateBase, 'topo.yaml');
    await lab.driver.writeFile(file, TOPOLOGY);
    const up = await lab.cli(['up', file], { timeoutMs: 300_000 });
    assert.equal(up.exitCode, 0, up.stderr);
    const state = (await loadState(lab.paths.state))!;
    const members = ['etcd0', 'etcd1', 'etcd2'].map((name, i) => ({
      name,
      address: ADDRESSES[i]!,
      netns: lab.names.etcd(name),
      proc: state.processes[name]!,
    }));

    // Three marked etcd processes, each in its own namespace, data dirs 0700 under the lab's folder.
    for (const m of members) {
      assert.ok(m.proc, `state records ${m.name}`);
      assert.equal(m.proc.netns, m.netns);
      assert.equal(readlinkSync(`/proc/${m.proc.pid}/exe`), '/usr/bin/etcd');
      assert.ok(
        readFileSync(`/proc/${m.proc.pid}/cgroup`, 'utf8').includes(`/${lab.prefix}kubewire/`),
        `${m.name} carries the lab's cgroup mark`,
      );
      const dataDir = join(lab.paths.dir, 'etcd', m.name);
      assert.equal(statSync(dataDir).mode & 0o777, 0o700, `${dataDir} is 0700`);
      assert.equal(statSync(join(lab.paths.dir, 'etcd')).mode & 0o777, 0o700);
      assert.ok(m.proc.argv.includes(`http://${m.address}:2379`) && m.proc.argv.includes(`http://${m.address}:2380`));
    }
    // Their listening sockets are in their namespaces: the host's namespace lists none of them.
    const hostListeners = hostListeningInodes();
    for (const m of members) {
      for (const inode of socketInodes(m.proc.pid))
        assert.ok(!hostListeners.has(inode), `${m.name} listens in the host's namespace (inode ${inode})`);
      const ss = await lab.exec(m.netns, ['ss', '-Htln']);
      const local = ss.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => l.trim().split(/\s+/)[3]);
      assert.deepEqual(
        local.sort(),
        [`${m.address}:2379`, `${m.address}:2380`],
        `${m.name} listens on its address only`,
      );
    }

    const etcdctl = (netns: string, args: string[]) =>
      lab.exec(netns, ['etcdctl', '--endpoints', ENDPOINTS, '--command-timeout', '10s', ...args]);
    const health = await etcdctl(members[0]!.netns, ['endpoint', 'health']);
    assert.equal(health.exitCode, 0, health.stderr);
    /** The member whose status says it leads, from the members still running. */
    const leader = async (running: typeof members) => {
      for (const m of running) {
        const r = await lab.exec(m.netns, ['etcdctl', '--endpoints', `http://${m.address}:2379`, 'endpoint', 'status']);
        if (r.exitCode === 0 && r.stdout.split(', ')[4] === 'true') return m;
      }
      return undefined;
    };

    // kubectl create/get; the object is in etcd under kube-apiserver's key.
    const client = clientFrom((await lab.cli(['kubeconfig', '--lab', 'etcd-store'])).stdout.trim());
    type ConfigMap = KubeObject & { data?: Record<string, string> };
    const configMaps = client.resource<ConfigMap>(Resources.configmaps);
    const cm = (name: string): ConfigMap =>
      ({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name, namespace: 'default' },
        data: { a: name },
      }) as ConfigMap;
    const first = await configMaps.create(cm('before'), 'default');
    const got = await configMaps.get('before', 'default');
    assert.equal(got.metadata.uid, first.metadata.uid);
    const inEtcd = await etcdctl(members[1]!.netns, [
      'get',
      '/registry/configmaps/default/before',
      '--print-value-only',
    ]);
    assert.equal(JSON.parse(inEtcd.stdout).metadata.uid, first.metadata.uid);
    const rev = await etcdctl(members[1]!.netns, ['get', '/registry/configmaps/default/before', '-w', 'json']);
    assert.equal(
      String(JSON.parse(rev.stdout).kvs[0].mod_revision),
      got.metadata.resourceVersion,
      'resourceVersion = mod_revision',
    );
    // Optimistic concurrency through etcd's compare-and-swap: a stale resourceVersion gets 409.
    await configMaps.update({ ...got, data: { a: 'new' } });
    await assert.rejects(configMaps.update({ ...got, data: { a: 'stale' } }), (e: unknown) => isConflict(e));

    // `kubewire status` lists the members: as the state records them, and as etcd answers.
    const etcdStatus = async () =>
      (JSON.parse((await lab.cli(['status', '--lab', 'etcd-store', '--json'])).stdout) as { etcd?: EtcdRow[] }).etcd ??
      [];
    const rows = await eventually(async () => {
      const e = await etcdStatus();
      return e.length === 3 && e.every((m) => m.healthy) && e.filter((m) => m.leader).length === 1 ? e : undefined;
    }, 60_000);
    assert.deepEqual(
      rows.map((m) => [m.name, m.netns, m.peerURL, m.clientURL, m.pid, m.alive]),
      members.map((m) => [m.name, m.netns, `http://${m.address}:2380`, `http://${m.address}:2379`, m.proc.pid, true]),
    );
    const text = (await lab.cli(['status', '--lab', 'etcd-store'])).stdout;
    for (const m of members)
      assert.match(
        text,
        new RegExp(
          `^${m.name}\\s+${m.netns}\\s+http://${m.address}:2380\\s+http://${m.address}:2379\\s+(yes|no)\\s+yes$`,
          'm',
        ),
      );
    assert.equal(text.match(/^etcd\d\s.*\syes\s+yes$/gm)?.length, 1, `one leader in ${text}`);

    // A delete whose answer is lost after etcd applied it: each member drops its answers that carry
    // prev_kvs (what a delete that deleted something returns), so the store's first attempt deletes
    // and times out, the retry on the next member finds the key gone — and must still answer 200
    // with the deleted object, as the first attempt would have, not 404.
    const victim = await configMaps.create(cm('victim'), 'default');
    const DROP = ['-o', 'lo', '-p', 'tcp', '--sport', '2379', '-m', 'string', '--algo', 'bm'];
    const dropRule = [...DROP, '--string', '"prev_kvs"', '-j', 'DROP'];
    for (const m of members)
      assert.equal((await lab.exec(m.netns, ['iptables', '-I', 'OUTPUT', '1', ...dropRule])).exitCode, 0);
    let deleted: unknown;
    let dropped = 0;
    try {
      deleted = await configMaps.delete('victim', 'default');
    } finally {
      for (const m of members) {
        const l = await lab.exec(m.netns, ['iptables', '-L', 'OUTPUT', '-n', '-v', '-x']);
        const line = l.stdout.split('\n').find((x) => x.includes('STRING match'));
        dropped += Number(line?.trim().split(/\s+/)[0] ?? 0);
        await lab.exec(m.netns, ['iptables', '-D', 'OUTPUT', ...dropRule]);
      }
    }
    assert.ok(dropped > 0, 'the first answer was dropped (the delete was retried)');
    const st = deleted as { status?: string; details?: { name?: string; uid?: string } };
    assert.equal(st.status, 'Success', JSON.stringify(deleted));
    assert.equal(st.details?.uid, victim.metadata.uid);
    await assert.rejects(configMaps.get('victim', 'default'), (e: unknown) => isNotFound(e));

    // kill -9 the leader; the next write succeeds within a bounded time.
    const old = await eventually(() => leader(members), 60_000);
    const t0 = Date.now();
    process.kill(old.proc.pid, 'SIGKILL');
    const written = await eventually(
      () => configMaps.create(cm('after-failover'), 'default').catch(() => undefined),
      90_000,
    );
    const failoverMs = Date.now() - t0;
    console.log(`# etcd leader kill -9 -> next write acknowledged: ${failoverMs} ms (load ${load()})`);
    assert.ok(written.metadata.uid);
    const survivors = members.filter((m) => m !== old);
    const next = await eventually(() => leader(survivors), 60_000);
    assert.notEqual(next.name, old.name);
    const list = await etcdctl(survivors[0]!.netns, ['member', 'list']);
    const oldId = list.stdout
      .split('\n')
      .find((l) => l.split(', ')[2] === old.name)!
      .split(', ')[0];
    const logs = survivors.map((m) => readFileSync(join(lab.paths.logs, `${m.netns}.log`), 'utf8')).join('\n');
    assert.match(logs, new RegExp(`lost leader ${oldId} at term`), 'a survivor lost the killed member as leader');
    // status: the killed member is down and unhealthy, a survivor leads.
    const after = await eventually(async () => {
      const e = await etcdStatus();
      return e.length === 3 && e.filter((m) => m.leader).length === 1 && e.filter((m) => m.healthy).length === 2
        ? e
        : undefined;
    }, 60_000);
    const dead = after.find((m) => m.name === old.name)!;
    assert.equal(dead.alive, false);
    assert.equal(dead.healthy, false);
    assert.ok(survivors.some((m) => m.name === after.find((r) => r.leader)!.name));

    // The controllers' watches go on after the failover: a Deployment made now gets its ReplicaSet.
    await client.deployments.create(
      {
        metadata: { name: 'after', namespace: 'default' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'after' } },
          template: { metadata: { labels: { app: 'after' } }, spec: { containers: [{ name: 'c', image: 'tools' }] } },
        },
      },
      'default',
    );
    await eventually(async () => {
      const rs = await client.replicaSets.list({ namespace: 'default', labelSelector: 'app=after' });
      return rs.items.length === 1 ? true : undefined;
    }, 120_000);

    // kill -9 of the cluster process, then reset: no member, namespace or folder is left.
    process.kill(state.processes.cluster!.pid, 'SIGKILL');
    const reset = await lab.cli(['reset', '--lab', 'etcd-store'], { timeoutMs: 180_000 });
    assert.equal(reset.exitCode, 0, reset.stderr);
    for (const m of members)
      assert.notEqual(await readStartTime(m.proc.pid), m.proc.startTime, `${m.name} (pid ${m.proc.pid}) is gone`);
    assert.deepEqual(namespacesWithPrefix(lab.prefix), []);
    assert.equal(existsSync(lab.paths.dir), false, 'the lab folder (etcd data dirs included) is gone');
  },
);
