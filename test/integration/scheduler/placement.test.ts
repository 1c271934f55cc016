// Placement through the whole control plane: Deployments applied with kubectl (the client when
// kubectl is absent), pods made by the controller manager, placed by the scheduler. nodeSelector,
// a taint with and without toleration, and required anti-affinity each change placement as
// Kubernetes would.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Deployment, Event, Pod, PodSpec } from '../../../common/api-types.js';
import { SystemClock } from '../../../cluster/client/clock.js';
import { KubeClient } from '../../../cluster/client/kube-client.js';
import { ControllerManager } from '../../../cluster/controllers/controller-manager.js';
import { SchedulerServer } from '../../../cluster/scheduler/scheduler-server.js';
import { hasKubectl, startApiServer, type Harness } from '../apiserver/harness.js';
import { makeNode } from '../../unit/scheduler/fixtures.js';
import { eventually as until } from '../../helpers/eventually.js';

function deployment(name: string, replicas: number, spec: Partial<PodSpec>): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'c', image: 'luksa/kubia' }], ...spec },
      },
    },
  };
}

async function apply(h: Harness, client: KubeClient, d: Deployment): Promise<void> {
  if (!hasKubectl) {
    await client.deployments.create(d);
    return;
  }
  const file = join(h.dir, `${d.metadata.name}.json`);
  writeFileSync(file, JSON.stringify(d));
  const r = await h.kubectl('apply', '-f', file);
  assert.equal(r.exitCode, 0, r.stderr);
  assert.match(r.stdout, /created/);
}

async function podsOf(client: KubeClient, app: string): Promise<Pod[]> {
  return (await client.pods.list({ namespace: 'default', labelSelector: `app=${app}` })).items;
}

test("nodeSelector, taints and tolerations, and anti-affinity place a Deployment's pods as Kubernetes would", async (t) => {
  const h = await startApiServer({ memory: true });
  const client = new KubeClient({ server: h.server.url, ca: readFileSync(h.server.caPath), token: h.token });
  const errors: string[] = [];
  const onError = (e: unknown, c: string) => errors.push(`${c}: ${(e as Error).message}`);
  const cm = new ControllerManager({
    client,
    clock: new SystemClock(),
    leaderElection: false,
    controllers: ['deployment', 'replicaset'],
    onError,
  });
  const sched = new SchedulerServer({ client, leaderElection: false, onError });
  t.after(async () => {
    await sched.stop();
    await cm.stop();
    client.close();
    await h.stop();
  });
  await client.nodes.create(makeNode('node1', { labels: { disktype: 'ssd' } }));
  await client.nodes.create(makeNode('node2'));
  await client.nodes.create(
    makeNode('node3', { taints: [{ key: 'dedicated', value: 'infra', effect: 'NoSchedule' }] }),
  );
  cm.start();
  sched.start();

  await apply(h, client, deployment('ssd', 3, { nodeSelector: { disktype: 'ssd' } }));
  const ssd = await until('3 ssd pods bound', async () => {
    const p = await podsOf(client, 'ssd');
    return p.length === 3 && p.every((x) => x.spec.nodeName) ? p : undefined;
  });
  assert.deepEqual([...new Set(ssd.map((p) => p.spec.nodeName))], ['node1']);

  await apply(h, client, deployment('plain', 4, {}));
  const plain = await until('4 plain pods bound', async () => {
    const p = await podsOf(client, 'plain');
    return p.length === 4 && p.every((x) => x.spec.nodeName) ? p : undefined;
  });
  assert.ok(
    plain.every((p) => p.spec.nodeName !== 'node3'),
    'no pod lands on the tainted node without a toleration',
  );

  await apply(
    h,
    client,
    deployment('infra', 2, {
      nodeSelector: { 'kubernetes.io/hostname': 'node3' },
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'infra', effect: 'NoSchedule' }],
    }),
  );
  const infra = await until('infra pods on node3', async () => {
    const p = await podsOf(client, 'infra');
    return p.length === 2 && p.every((x) => x.spec.nodeName) ? p : undefined;
  });
  assert.deepEqual([...new Set(infra.map((p) => p.spec.nodeName))], ['node3']);

  const anti = {
    podAntiAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: [
        { labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'kubernetes.io/hostname' },
      ],
    },
  };
  await apply(h, client, deployment('web', 4, { affinity: anti, tolerations: [{ operator: 'Exists' }] }));
  const web = await until('3 web pods bound, 1 pending', async () => {
    const p = await podsOf(client, 'web');
    return p.length === 4 && p.filter((x) => x.spec.nodeName).length === 3 ? p : undefined;
  });
  assert.deepEqual(
    web
      .filter((p) => p.spec.nodeName)
      .map((p) => p.spec.nodeName)
      .sort(),
    ['node1', 'node2', 'node3'],
  );
  const pending = web.find((p) => !p.spec.nodeName)!;
  const ev = await until('FailedScheduling for the 4th web pod', async () =>
    (await client.events.list({ namespace: 'default' })).items.find(
      (e: Event) => e.involvedObject.name === pending.metadata.name && e.reason === 'FailedScheduling',
    ),
  );
  assert.equal(
    ev.message,
    "0/3 nodes are available: 3 node(s) didn't satisfy existing pods anti-affinity rules. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.",
  );
  if (hasKubectl) {
    const r = await h.kubectl('describe', 'pod', pending.metadata.name!);
    assert.match(r.stdout, /FailedScheduling/);
  }
});
