// Deletion that cascades: the garbage collector's three propagation policies and a namespace delete
// that removes everything in the namespace, against the real apiserver (and kubectl where present).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Deployment, KubeObject } from '../../../common/api-types.js';
import { isNotFound } from '../../../cluster/client/api-errors.js';
import { Resources } from '../../../cluster/client/resources.js';
import { SystemClock } from '../../../cluster/client/clock.js';
import { Informer } from '../../../cluster/client/informer.js';
import { ControllerManager } from '../../../cluster/controllers/controller-manager.js';
import { NO_KUBECTL, startApiServer } from '../apiserver/harness.js';
import { connect, fakeNode, FakeKubelet, until } from './kwok.js';

async function cluster(t: { after(fn: () => Promise<void> | void): void }) {
  const h = await startApiServer({ memory: true });
  const client = connect(h);
  // Controller errors are kept (not printed) and named by a failing wait, so a timeout says why.
  const errors: string[] = [];
  const cm = new ControllerManager({
    client,
    leaderElection: false,
    onError: (err, where) => errors.push(`${where ?? ''}: ${err instanceof Error ? err.message : String(err)}`),
  });
  const kubelet = new FakeKubelet(client);
  const stopKubelet = kubelet.start();
  const stopCm = cm.start();
  t.after(async () => {
    stopCm();
    stopKubelet();
    client.close();
    await h.stop();
  });
  await client.nodes.create(fakeNode('node1'));
  const waitFor = (what: string, cond: () => boolean | Promise<boolean>, ms?: number) =>
    until(what, cond, ms).catch((err: Error) => {
      throw new Error(`${err.message}; last controller errors: ${errors.slice(-5).join(' | ') || 'none'}`);
    });
  return { h, client, kubelet, waitFor };
}

const deploy = (ns: string, name: string, replicas = 2): Deployment => ({
  metadata: { name, namespace: ns },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'luksa/kubia' }] } },
  },
});

async function gone(get: () => Promise<unknown>): Promise<boolean> {
  try {
    await get();
    return false;
  } catch (err) {
    if (isNotFound(err)) return true;
    throw err;
  }
}

test('propagation: Background removes ReplicaSet and pods after the Deployment; Orphan keeps pods without their owner; Foreground keeps the owner until its dependents are gone', async (t) => {
  const { client, kubelet, waitFor } = await cluster(t);
  const podsOf = async (app: string) =>
    (await client.pods.list({ namespace: 'default', labelSelector: `app=${app}` })).items;
  await client.deployments.create(deploy('default', 'bg'));
  await waitFor('bg pods', async () => (await podsOf('bg')).length === 2);
  await client.deployments.delete('bg', 'default', { propagationPolicy: 'Background' });
  await waitFor(
    'bg replicaset and pods collected',
    async () =>
      (await podsOf('bg')).length === 0 &&
      (await client.replicaSets.list({ namespace: 'default', labelSelector: 'app=bg' })).items.length === 0,
  );

  await client.deployments.create(deploy('default', 'orph'));
  await waitFor('orph pods', async () => (await podsOf('orph')).length === 2);
  const rs = (await client.replicaSets.list({ namespace: 'default', labelSelector: 'app=orph' })).items[0]!;
  await client.deployments.delete('orph', 'default', { propagationPolicy: 'Orphan' });
  await waitFor('deployment gone', () => gone(() => client.deployments.get('orph', 'default')));
  const kept = await client.replicaSets.get(rs.metadata.name!, 'default');
  assert.equal(kept.metadata.ownerReferences?.length ?? 0, 0, 'the orphaned ReplicaSet no longer names its owner');
  assert.equal((await podsOf('orph')).length, 2, 'its pods stay');

  await client.deployments.create(deploy('default', 'fg'));
  await waitFor('fg pods', async () => (await podsOf('fg')).length === 2);
  // The order of the DELETED events tells whether the owner outlived its dependents.
  let seq = 0;
  const deletedAt = new Map<string, number>();
  const owners = new Informer<Deployment>(client.deployments, new SystemClock(), { namespace: 'default' });
  owners.addEventHandler({ onDelete: (o) => deletedAt.set(`deployment/${o.metadata.name}`, ++seq) });
  kubelet.pods.addEventHandler({
    onDelete: (p) => {
      if (p.metadata.labels?.app === 'fg') deletedAt.set(`pod/${p.metadata.name}`, ++seq);
    },
  });
  const stopOwners = owners.run();
  t.after(stopOwners);
  await owners.waitForSync();
  await client.deployments.delete('fg', 'default', { propagationPolicy: 'Foreground' });
  const d = await client.deployments.get('fg', 'default');
  assert.ok(
    d.metadata.deletionTimestamp && d.metadata.finalizers?.includes('foregroundDeletion'),
    'the owner waits, marked',
  );
  await waitFor('fg deployment gone', () => deletedAt.has('deployment/fg'));
  const podDeletes = [...deletedAt].filter(([k]) => k.startsWith('pod/')).map(([, v]) => v);
  assert.equal(podDeletes.length, 2);
  assert.ok(
    podDeletes.every((v) => v < deletedAt.get('deployment/fg')!),
    `pods went before their foreground-deleted owner: ${JSON.stringify([...deletedAt])}`,
  );
});

test('deleting a namespace deletes everything in it, then the namespace', async (t) => {
  const { h, client } = await cluster(t);
  await client.namespaces.create({ metadata: { name: 'shop' } });
  await client.deployments.create(deploy('shop', 'kubia', 3));
  await client.services.create({
    metadata: { name: 'kubia', namespace: 'shop' },
    spec: { selector: { app: 'kubia' }, ports: [{ port: 80, targetPort: 8080 }] },
  });
  const configmaps = client.resource<KubeObject & { data?: Record<string, string> }>(Resources.configmaps);
  await configmaps.create({ metadata: { name: 'settings', namespace: 'shop' }, data: { a: 'b' } });
  await until('3 pods', async () => (await client.pods.list({ namespace: 'shop' })).items.length === 3);
  const ns = await client.namespaces.get('shop');
  assert.deepEqual(ns.spec?.finalizers, ['kubernetes']);
  if (NO_KUBECTL) {
    t.diagnostic(`deleting through the client: ${NO_KUBECTL}`);
    await client.namespaces.delete('shop');
  } else {
    const r = await h.kubectl('delete', 'namespace', 'shop', '--timeout=20s');
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stdout, /namespace "shop" deleted/);
  }
  await until('namespace gone', () => gone(() => client.namespaces.get('shop')), 20_000);
  for (const list of [client.pods, client.deployments, client.replicaSets, client.services, configmaps]) {
    assert.equal((await list.list({ namespace: 'shop' })).items.length, 0, `no ${list.type.resource} left`);
  }
});
