// A highly available control plane on a lab built by `kubewire up` (topology controlPlane.replicas:
// 2): two kube-scheduler and two kube-controller-manager processes, each a marked process of the lab
// named by its component in `ps`, elect their leaders through their Leases; kill -9 of a leader
// (no release) hands the Lease to the standby once it has gone unrenewed for leaseDuration, the
// cluster process starts the killed replica again, and the new controller-manager leader works
// without redoing what its predecessor did (its caches are listed before its controllers act).
// A kill -9 of the cluster process leaves no replica behind after reset.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Lease } from '../../../common/api-types.js';
import type { ControlPlaneStatus, ReplicaStatus } from '../../../cluster/agents/control-plane-replicas.js';
import { readStartTime } from '../../../runtime/host/netns-driver.js';
import { loadState } from '../../../runtime/lab/lab-state.js';
import { clientFromKubeconfig, upWithKubeconfig } from '../../helpers/kubectl-lab.js';
import { labTopology, NODE1 } from '../../helpers/lab-topology.js';
import { eventually, namespacesWithPrefix, TestLab } from '../runtime/harness.js';

const TOPOLOGY = labTopology('cp-ha', [NODE1], { hosts: [], extra: { controlPlane: { replicas: 2 } } });

const lab = new TestLab(TOPOLOGY);
after(() => lab.cleanup());

const status = (): ControlPlaneStatus =>
  JSON.parse(readFileSync(join(lab.paths.dir, 'control-plane.json'), 'utf8')) as ControlPlaneStatus;

const cmdline = (pid: number): string[] => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
};

const alive = (r: ReplicaStatus) => cmdline(r.pid).includes(r.identity);

test(
  'two schedulers and two controller managers elect leaders; a killed leader is replaced by the standby and restarted',
  { timeout: 300_000 },
  async () => {
    const { kubeconfig } = await upWithKubeconfig(lab, TOPOLOGY, 120_000);
    const client = clientFromKubeconfig(kubeconfig);
    const lease = (name: string): Promise<Lease> => client.leases.get(name, 'kube-system');

    // Both pairs run as marked processes of the lab, and each Lease names one of its pair.
    const leaderOf = async (component: string): Promise<ReplicaStatus | undefined> => {
      const holder = (await lease(component)).spec.holderIdentity;
      return status().replicas.find((r) => r.component === component && r.identity === holder && alive(r));
    };
    const leaders = await eventually(async () => {
      const s = status();
      if (s.replicas.length !== 4 || !s.replicas.every(alive)) return undefined;
      const sched = await leaderOf('kube-scheduler');
      const cm = await leaderOf('kube-controller-manager');
      return sched && cm ? { sched, cm } : undefined;
    }, 90_000);
    for (const r of status().replicas) {
      assert.equal(cmdline(r.pid)[0], r.component, 'ps shows the component first');
      assert.ok(
        readFileSync(`/proc/${r.pid}/cgroup`, 'utf8').includes(`/${lab.prefix}kubewire/`),
        `${r.component} pid ${r.pid} carries the lab's cgroup mark`,
      );
      assert.match(r.identity, /^[^_]+_[0-9a-f-]{36}$/, 'identity is <hostname>_<uuid>');
    }
    const schedLease = await lease('kube-scheduler');
    assert.equal(schedLease.spec.leaseDurationSeconds, 15);
    assert.match(schedLease.spec.renewTime ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/, 'renewTime is MicroTime');
    const transitions = schedLease.spec.leaseTransitions ?? 0;

    // kill -9 the leading scheduler: the standby takes the Lease, the killed replica comes back.
    const t0 = Date.now();
    process.kill(leaders.sched.pid, 'SIGKILL');
    const newSched = await eventually(async () => {
      const r = await leaderOf('kube-scheduler');
      return r && r.identity !== leaders.sched.identity ? r : undefined;
    }, 90_000);
    const took = Date.now() - t0;
    console.log(
      `# scheduler failover: ${took} ms after kill -9 (load ${readFileSync('/proc/loadavg', 'utf8').trim()})`,
    );
    assert.ok((await lease('kube-scheduler')).spec.leaseTransitions! > transitions, 'leaseTransitions grew');
    assert.notEqual(newSched.pid, leaders.sched.pid);
    await eventually(async () => {
      const s = status();
      const exit = s.exits.find((e) => e.identity === leaders.sched.identity);
      const again = s.replicas.find((r) => r.component === 'kube-scheduler' && r.replica === leaders.sched.replica);
      return exit && again && again.restarts >= 1 && again.pid !== leaders.sched.pid && alive(again)
        ? { exit, again }
        : undefined;
    }, 60_000).then(({ exit }) => {
      assert.equal(exit.signal, 'SIGKILL');
      assert.equal(exit.wasLeader, true);
    });

    // A Deployment made before the controller manager's leader dies, one right after: the new
    // leader makes the second one's pods (the new scheduler leader binds them) and leaves the
    // first one's pods alone (it lists its caches before acting).
    const deploy = (name: string) =>
      client.deployments.create(
        {
          metadata: { name, namespace: 'default' },
          spec: {
            replicas: 2,
            selector: { matchLabels: { app: name } },
            template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'tools' }] } },
          },
        },
        'default',
      );
    const podsOf = async (app: string) =>
      (await client.pods.list({ namespace: 'default', labelSelector: `app=${app}` })).items
        .map((p) => p.metadata.name!)
        .sort();
    /** What the ReplicaSet controllers reported trying for app's ReplicaSet: reason → count. */
    const rsEvents = async (app: string) => {
      const out: Record<string, number> = {};
      for (const e of (await client.events.list({ namespace: 'default' })).items)
        if (e.involvedObject?.kind === 'ReplicaSet' && e.involvedObject.name?.startsWith(`${app}-`))
          out[e.reason ?? ''] = (out[e.reason ?? ''] ?? 0) + (e.count ?? 1);
      return out;
    };
    const ready = (name: string) =>
      eventually(
        async () => ((await client.deployments.get(name, 'default')).status?.readyReplicas === 2 ? true : undefined),
        120_000,
      );
    await deploy('before');
    await ready('before');
    const beforePods = await podsOf('before');
    const cm = (await leaderOf('kube-controller-manager'))!;
    process.kill(cm.pid, 'SIGKILL');
    await deploy('after');
    const newCm = await eventually(async () => {
      const r = await leaderOf('kube-controller-manager');
      return r && r.identity !== cm.identity ? r : undefined;
    }, 90_000);
    assert.notEqual(newCm.pid, cm.pid);
    await ready('after');
    const afterPods = await client.pods.list({ namespace: 'default', labelSelector: 'app=after' });
    assert.ok(afterPods.items.every((p) => p.spec?.nodeName === 'node1'));
    assert.deepEqual(await podsOf('before'), beforePods, "the new leader did not redo its predecessor's work");
    assert.deepEqual(await rsEvents('before'), { SuccessfulCreate: 2 }, 'no pod of before was created twice');

    // kill -9 of the cluster process: the replicas end with it (they watch their parent), and reset
    // leaves none of them (they carry the lab's mark) and no namespace.
    const daemon = (await loadState(lab.paths.state))!.processes.cluster!;
    const replicas = status().replicas;
    process.kill(daemon.pid, 'SIGKILL');
    await eventually(async () => (replicas.every((r) => !alive(r)) ? true : undefined), 30_000);
    const reset = await lab.cli(['reset', '--lab', 'cp-ha'], { timeoutMs: 120_000 });
    assert.equal(reset.exitCode, 0, reset.stderr);
    for (const r of replicas)
      assert.notEqual(await readStartTime(r.pid), r.startTime, `${r.component} pid ${r.pid} is gone`);
    assert.deepEqual(namespacesWithPrefix(lab.prefix), []);
  },
);
