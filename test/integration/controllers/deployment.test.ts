// Deployments end to end against the real apiserver: the controller manager creates the ReplicaSet
// and pods, a rolling update keeps availability, and the real kubectl's rollout status/history/undo
// work on what the controllers wrote. Pods are made Ready by FakeKubelet (kwok-style, see kwok.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Deployment, Pod } from '../../../common/api-types.js';
import { ControllerManager } from '../../../cluster/controllers/controller-manager.js';
import { isPodReady } from '../../../cluster/controllers/util/pods.js';
import { NO_KUBECTL, startApiServer } from '../apiserver/harness.js';
import { connect, fakeNode, FakeKubelet, startScheduler, until } from './kwok.js';

function kubia(image: string, replicas = 6): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'kubia', namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'kubia' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } },
      template: { metadata: { labels: { app: 'kubia' } }, spec: { containers: [{ name: 'nodejs', image }] } },
    },
  };
}

async function cluster(
  t: { after(fn: () => Promise<void> | void): void },
  kubeletOpts: { readyDelayMs?: number } = {},
) {
  const h = await startApiServer({ memory: true });
  const client = connect(h);
  const errors: string[] = [];
  const cm = new ControllerManager({
    client,
    leaderElection: false,
    onError: (e, c) => errors.push(`${c}: ${e instanceof Error ? e.message : e}`),
  });
  // Pods become Ready only once the real scheduler bound them to a (fake) node, as with kwok.
  const kubelet = new FakeKubelet(client, { boundOnly: true, ...kubeletOpts });
  const stopKubelet = kubelet.start();
  const stopCm = cm.start();
  const stopScheduler = startScheduler(client);
  t.after(async () => {
    await stopScheduler();
    stopCm();
    stopKubelet();
    client.close();
    await h.stop();
  });
  for (let i = 1; i <= 6; i++) await client.nodes.create(fakeNode(`node${i}`));
  return { h, client, cm, kubelet, errors };
}

const ownPods = (kubelet: FakeKubelet) => kubelet.pods.store.list().filter((p) => p.metadata.labels?.app === 'kubia');

test('a Deployment of 6 replicas: one ReplicaSet, 6 pods spread over 6 nodes by the scheduler, the events kubectl describe shows, rollout status', async (t) => {
  const { h, client, kubelet } = await cluster(t);
  await client.deployments.create(kubia('luksa/kubia:v1'));
  await until('6 ready pods', () => ownPods(kubelet).filter(isPodReady).length === 6);
  const rsList = await client.replicaSets.list({ namespace: 'default' });
  assert.equal(rsList.items.length, 1);
  const rs = rsList.items[0]!;
  assert.match(rs.metadata.name!, /^kubia-[bcdfghjklmnpqrstvwxz2456789]+$/);
  assert.equal(rs.metadata.annotations!['deployment.kubernetes.io/revision'], '1');
  const pods = (await client.pods.list({ namespace: 'default' })).items;
  assert.equal(pods.length, 6);
  assert.ok(
    pods.every(
      (p) =>
        p.metadata.name!.startsWith(`${rs.metadata.name}-`) && p.metadata.ownerReferences?.[0]?.uid === rs.metadata.uid,
    ),
  );
  assert.deepEqual(
    pods.map((p) => p.spec.nodeName).sort(),
    ['node1', 'node2', 'node3', 'node4', 'node5', 'node6'],
    'one pod per node: the scheduler spreads equal scores',
  );
  await until(
    'deployment status',
    async () => (await client.deployments.get('kubia', 'default')).status?.availableReplicas === 6,
  );
  await until('events', async () => {
    const evs = (await client.events.list({ namespace: 'default' })).items;
    return (
      evs.some(
        (e) => e.reason === 'ScalingReplicaSet' && e.message === `Scaled up replica set ${rs.metadata.name} to 6`,
      ) &&
      evs.filter((e) => e.reason === 'SuccessfulCreate' && e.involvedObject.name === rs.metadata.name).length === 6 &&
      evs.filter((e) => e.reason === 'Scheduled').length === 6
    );
  });
  if (NO_KUBECTL) assert.fail(NO_KUBECTL);
  const status = await h.kubectl('rollout', 'status', 'deployment/kubia', '--timeout=10s');
  assert.equal(status.exitCode, 0, status.stderr);
  assert.match(status.stdout, /deployment "kubia" successfully rolled out/);
  const describe = await h.kubectl('describe', 'deployment', 'kubia');
  assert.match(describe.stdout, /ScalingReplicaSet\s+.*deployment-controller\s+Scaled up replica set kubia-\w+ to 6/);
  assert.match(describe.stdout, /NewReplicaSet:\s+kubia-\w+ \(6\/6 replicas created\)/);
  // The story of one pod: SuccessfulCreate on its ReplicaSet, then Scheduled on the pod.
  const podDescribe = await h.kubectl('describe', 'pod', pods[0]!.metadata.name!);
  assert.match(
    podDescribe.stdout,
    /Scheduled\s+.*default-scheduler\s+Successfully assigned default\/kubia-\w+-\w+ to node\d/,
  );
  const rsDescribe = await h.kubectl('describe', 'rs', rs.metadata.name!);
  assert.match(rsDescribe.stdout, /SuccessfulCreate\s+.*replicaset-controller\s+Created pod: kubia-\w+-\w+/);
});

test('a rolling update never has fewer than replicas - maxUnavailable ready pods; kubectl rollout history and undo', async (t) => {
  const { h, client, kubelet } = await cluster(t, { readyDelayMs: 30 });
  await client.deployments.create(kubia('luksa/kubia:v1'));
  await until('6 ready pods', () => ownPods(kubelet).filter(isPodReady).length === 6);
  await until(
    'deployment available',
    async () => (await client.deployments.get('kubia', 'default')).status?.availableReplicas === 6,
  );
  let minReady = Infinity;
  let maxPods = 0;
  const count = () => {
    const live = ownPods(kubelet).filter((p: Pod) => !p.metadata.deletionTimestamp);
    minReady = Math.min(minReady, live.filter(isPodReady).length);
    maxPods = Math.max(maxPods, live.length);
  };
  const off = kubelet.pods.addEventHandler({ onAdd: count, onUpdate: count, onDelete: count });
  await client.deployments.patch(
    'kubia',
    {
      metadata: { annotations: { 'kubernetes.io/change-cause': 'image v2' } },
      spec: { template: { spec: { containers: [{ name: 'nodejs', image: 'luksa/kubia:v2' }] } } },
    },
    'strategic',
    { namespace: 'default' },
  );
  await until(
    'all pods on v2 and ready',
    () => {
      const live = ownPods(kubelet).filter((p) => !p.metadata.deletionTimestamp);
      return live.length === 6 && live.every((p) => p.spec.containers[0]!.image === 'luksa/kubia:v2' && isPodReady(p));
    },
    20_000,
  );
  off();
  assert.ok(minReady >= 5, `ready pods dipped to ${minReady}`);
  assert.ok(maxPods <= 7, `pods peaked at ${maxPods} (replicas + maxSurge = 7)`);
  await until('status settled', async () => {
    const d = await client.deployments.get('kubia', 'default');
    return d.status?.updatedReplicas === 6 && d.status.replicas === 6 && d.status.availableReplicas === 6;
  });
  if (NO_KUBECTL) assert.fail(NO_KUBECTL);
  const hist = await h.kubectl('rollout', 'history', 'deployment/kubia');
  assert.equal(hist.exitCode, 0, hist.stderr);
  assert.match(hist.stdout, /REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+image v2/);
  const undo = await h.kubectl('rollout', 'undo', 'deployment/kubia');
  assert.equal(undo.exitCode, 0, undo.stderr);
  assert.match(undo.stdout, /deployment.apps\/kubia rolled back/);
  await until(
    'back on v1',
    () => {
      const live = ownPods(kubelet).filter((p) => !p.metadata.deletionTimestamp);
      return live.length === 6 && live.every((p) => p.spec.containers[0]!.image === 'luksa/kubia:v1' && isPodReady(p));
    },
    20_000,
  );
  const status = await h.kubectl('rollout', 'status', 'deployment/kubia', '--timeout=15s');
  assert.equal(status.exitCode, 0, status.stderr + status.stdout);
  const after = await h.kubectl('rollout', 'history', 'deployment/kubia');
  assert.match(after.stdout, /\n2\s+image v2\n3\s+<none>/);
  assert.equal(
    (await client.replicaSets.list({ namespace: 'default' })).items.length,
    2,
    'undo reused the revision-1 ReplicaSet',
  );
});
