// DaemonSet, Job and StatefulSet (with the PersistentVolume binder) against the real apiserver.
// Without kubelets, FakeKubelet (kwok.ts) plays the nodes' part: pods become Ready, Job pods are
// marked Succeeded by the test, terminating pods are finished.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DaemonSet, Job, PersistentVolume, StatefulSet } from '../../../common/api-types.js';
import { ControllerManager } from '../../../cluster/controllers/controller-manager.js';
import { targetNode } from '../../../cluster/controllers/daemonset/daemon-set-logic.js';
import { NO_KUBECTL, startApiServer } from '../apiserver/harness.js';
import { connect, fakeNode, FakeKubelet, startScheduler, until } from './kwok.js';

async function cluster(t: { after(fn: () => Promise<void> | void): void }, kubeletOpts = {}) {
  const h = await startApiServer({ memory: true });
  const client = connect(h);
  const cm = new ControllerManager({ client, leaderElection: false, onError: () => {} });
  const kubelet = new FakeKubelet(client, kubeletOpts);
  const stopKubelet = kubelet.start();
  const stopCm = cm.start();
  t.after(async () => {
    stopCm();
    stopKubelet();
    client.close();
    await h.stop();
  });
  return { h, client, cm, kubelet };
}

test('a DaemonSet runs one pod per schedulable node, none on a tainted node, and follows nodes coming and going', async (t) => {
  const { client, kubelet } = await cluster(t);
  const stopScheduler = startScheduler(client);
  t.after(stopScheduler);
  for (let i = 1; i <= 3; i++) await client.nodes.create(fakeNode(`node${i}`));
  const tainted = fakeNode('node4');
  tainted.spec = { taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] };
  await client.nodes.create(tainted);
  const ds: DaemonSet = {
    metadata: { name: 'ssd-monitor', namespace: 'default' },
    spec: {
      selector: { matchLabels: { app: 'ssd-monitor' } },
      template: {
        metadata: { labels: { app: 'ssd-monitor' } },
        spec: { containers: [{ name: 'main', image: 'luksa/ssd-monitor' }] },
      },
    },
  };
  await client.daemonSets.create(ds);
  const daemonPods = () =>
    kubelet.pods.store.list().filter((p) => p.metadata.labels?.app === 'ssd-monitor' && !p.metadata.deletionTimestamp);
  await until('3 daemon pods', () => daemonPods().length === 3);
  assert.deepEqual(
    daemonPods()
      .map((p) => targetNode(p))
      .sort(),
    ['node1', 'node2', 'node3'],
  );
  const p0 = daemonPods()[0]!;
  assert.deepEqual(
    p0.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms[0]
      ?.matchFields?.[0]?.key,
    'metadata.name',
  );
  assert.ok(p0.spec.tolerations?.some((x) => x.key === 'node.kubernetes.io/unreachable' && x.effect === 'NoExecute'));
  await client.nodes.create(fakeNode('node5'));
  await until('a pod for node5', () => daemonPods().some((p) => targetNode(p) === 'node5'));
  await client.nodes.delete('node1');
  await until('node1 pod gone', () => !daemonPods().some((p) => targetNode(p) === 'node1'));
  await until(
    'daemon pods bound to their own node',
    () => daemonPods().every((p) => p.spec.nodeName === targetNode(p)) && daemonPods().every((p) => !!p.spec.nodeName),
  );
  await until('status', async () => {
    const s = (await client.daemonSets.get('ssd-monitor', 'default')).status;
    return s?.desiredNumberScheduled === 3 && s.currentNumberScheduled === 3 && s.numberReady === 3;
  });
});

test('a Job runs parallelism pods at a time until completions succeeded, then is Complete', async (t) => {
  const { h, client, kubelet } = await cluster(t);
  const job: Job = {
    metadata: { name: 'batch-job', namespace: 'default' },
    spec: {
      completions: 3,
      parallelism: 2,
      template: {
        metadata: { labels: { app: 'batch-job' } },
        spec: { restartPolicy: 'OnFailure', containers: [{ name: 'main', image: 'luksa/batch-job' }] },
      },
    },
  };
  await client.jobs.create(job);
  const jobPods = () => kubelet.pods.store.list().filter((p) => p.metadata.labels?.['job-name'] === 'batch-job');
  const running = () => jobPods().filter((p) => p.status?.phase === 'Running');
  let peak = 0;
  for (let done = 0; done < 3;) {
    await until('a running job pod', () => running().length > 0);
    peak = Math.max(peak, jobPods().filter((p) => p.status?.phase !== 'Succeeded').length);
    await kubelet.succeed(running()[0]!);
    done++;
    await until('succeeded counted', () => jobPods().filter((p) => p.status?.phase === 'Succeeded').length === done);
  }
  assert.ok(peak <= 2, `at most parallelism pods at once (saw ${peak})`);
  await until(
    'Complete',
    async () =>
      (await client.jobs.get('batch-job', 'default')).status?.conditions?.some(
        (c) => c.type === 'Complete' && c.status === 'True',
      ) ?? false,
  );
  const j = await client.jobs.get('batch-job', 'default');
  assert.equal(j.status!.succeeded, 3);
  assert.ok(j.status!.completionTime);
  assert.equal(jobPods().length, 3, 'no extra pods were created');
  if (NO_KUBECTL) assert.fail(NO_KUBECTL);
  const w = await h.kubectl('wait', '--for=condition=complete', 'job/batch-job', '--timeout=5s');
  assert.equal(w.exitCode, 0, w.stderr);
});

test('a Job whose pods keep failing stops after backoffLimit with BackoffLimitExceeded', async (t) => {
  const { client, kubelet } = await cluster(t);
  await client.jobs.create({
    metadata: { name: 'flaky', namespace: 'default' },
    spec: {
      backoffLimit: 0,
      template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'x' }] } },
    },
  });
  await until('a running pod', () =>
    kubelet.pods.store.list().some((p) => p.metadata.labels?.['job-name'] === 'flaky' && p.status?.phase === 'Running'),
  );
  await kubelet.fail(kubelet.pods.store.list().find((p) => p.metadata.labels?.['job-name'] === 'flaky')!);
  await until(
    'Failed',
    async () =>
      (await client.jobs.get('flaky', 'default')).status?.conditions?.some(
        (c) => c.type === 'Failed' && c.reason === 'BackoffLimitExceeded',
      ) ?? false,
  );
});

test('a StatefulSet starts web-0, web-1, web-2 in order, each with its own claim bound to its own volume; scale-down goes from the top', async (t) => {
  const { client, kubelet } = await cluster(t, { readyDelayMs: 50 });
  // Volumes of different sizes: each claim (1Mi) must get the smallest that fits, not the big one.
  for (const [name, size] of [
    ['pv-a', '1Mi'],
    ['pv-b', '1Mi'],
    ['pv-c', '2Mi'],
    ['pv-big', '10Gi'],
  ] as const) {
    const pv: PersistentVolume = {
      metadata: { name },
      spec: {
        capacity: { storage: size },
        accessModes: ['ReadWriteOnce', 'ReadOnlyMany'],
        persistentVolumeReclaimPolicy: 'Retain',
        hostPath: { path: `/tmp/${name}` },
      },
    };
    await client.persistentVolumes.create(pv);
  }
  const set: StatefulSet = {
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      replicas: 3,
      serviceName: 'nginx',
      selector: { matchLabels: { app: 'nginx' } },
      template: {
        metadata: { labels: { app: 'nginx' } },
        spec: {
          containers: [
            { name: 'nginx', image: 'nginx', volumeMounts: [{ name: 'www', mountPath: '/usr/share/nginx/html' }] },
          ],
        },
      },
      volumeClaimTemplates: [
        {
          metadata: { name: 'www' },
          spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Mi' } } },
        },
      ],
    },
  };
  const order: string[] = [];
  kubelet.pods.addEventHandler({
    onAdd: (p) => {
      if (p.metadata.labels?.app === 'nginx') order.push(p.metadata.name!);
    },
  });
  await client.statefulSets.create(set);
  await until(
    '3 ready pods',
    async () => (await client.statefulSets.get('web', 'default')).status?.readyReplicas === 3,
  );
  assert.deepEqual(order, ['web-0', 'web-1', 'web-2']);
  const web1 = kubelet.pods.store.getByName('web-1', 'default')!;
  assert.equal(web1.spec.hostname, 'web-1');
  assert.equal(web1.spec.subdomain, 'nginx');
  assert.deepEqual(web1.spec.volumes?.find((v) => v.name === 'www')?.persistentVolumeClaim, { claimName: 'www-web-1' });
  await until(
    '3 bound claims',
    async () =>
      (await client.persistentVolumeClaims.list({ namespace: 'default' })).items.filter(
        (c) => c.status?.phase === 'Bound',
      ).length === 3,
  );
  const claims = (await client.persistentVolumeClaims.list({ namespace: 'default' })).items;
  assert.deepEqual(claims.map((c) => c.metadata.name).sort(), ['www-web-0', 'www-web-1', 'www-web-2']);
  const volumeNames = claims.map((c) => c.spec.volumeName);
  assert.equal(new Set(volumeNames).size, 3, 'each claim its own volume');
  assert.ok(!volumeNames.includes('pv-big'), `the smallest volumes that fit were chosen: ${volumeNames.join(',')}`);
  await until('volumes Bound with claimRef', async () => {
    const pvs = (await client.persistentVolumes.list()).items.filter((v) => volumeNames.includes(v.metadata.name));
    return pvs.every(
      (v) =>
        v.status?.phase === 'Bound' &&
        claims.some((c) => c.metadata.uid === v.spec.claimRef?.uid && c.spec.volumeName === v.metadata.name),
    );
  });
  const deleted: string[] = [];
  kubelet.pods.addEventHandler({
    onDelete: (p) => {
      if (p.metadata.labels?.app === 'nginx') deleted.push(p.metadata.name!);
    },
  });
  await client.statefulSets.patch('web', { spec: { replicas: 1 } }, 'merge', { namespace: 'default' });
  await until('scaled to 1', () => deleted.length === 2);
  assert.deepEqual(deleted, ['web-2', 'web-1']);
  assert.equal(
    (await client.persistentVolumeClaims.list({ namespace: 'default' })).items.length,
    3,
    'claims are kept on scale-down',
  );
  // Releasing a claim: Retain keeps the volume, Released.
  await client.persistentVolumeClaims.delete('www-web-2', 'default');
  const released = claims.find((c) => c.metadata.name === 'www-web-2')!.spec.volumeName!;
  await until(
    'volume Released',
    async () => (await client.persistentVolumes.get(released)).status?.phase === 'Released',
  );
});
