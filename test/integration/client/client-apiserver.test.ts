// The typed client and informer against the real apiserver (HTTPS, CA, bearer token, RBAC).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Node, Pod } from '../../../common/api-types.js';
import {
  AlreadyExistsError,
  ConflictError,
  ExpiredError,
  NotFoundError,
  UnauthorizedError,
} from '../../../cluster/client/api-errors.js';
import { SystemClock } from '../../../cluster/client/clock.js';
import { SharedInformerFactory, PodNodeNameIndex } from '../../../cluster/client/informer-factory.js';
import { Informer } from '../../../cluster/client/informer.js';
import { KubeClient } from '../../../cluster/client/kube-client.js';
import { startApiServer, type Harness } from '../apiserver/harness.js';
import { eventually as until } from '../../helpers/eventually.js';

const pod = (name: string): Pod => ({
  metadata: { name, namespace: 'default', labels: { app: 'kubia' } },
  spec: { containers: [{ name: 'kubia', image: 'luksa/kubia' }] },
});
const node = (name: string): Node => ({
  metadata: { name },
  status: { allocatable: { cpu: '2', memory: '2Gi', pods: '110' } },
});

function connect(h: Harness, token = h.token): KubeClient {
  return new KubeClient({ server: h.server.url, ca: readFileSync(h.server.caPath), token });
}

test('typed verbs over HTTPS: create, get, typed errors, patches, status, binding, delete', async (t) => {
  const h = await startApiServer({ memory: true });
  const client = connect(h);
  t.after(async () => {
    client.close();
    await h.stop();
  });
  await client.nodes.create(node('node1'));
  const p = await client.pods.create(pod('kubia-1'));
  assert.ok(p.metadata.uid && p.metadata.resourceVersion);
  await assert.rejects(client.pods.create(pod('kubia-1')), AlreadyExistsError);
  await assert.rejects(client.pods.get('nope', 'default'), NotFoundError);

  const labelled = await client.pods.update({
    ...p,
    metadata: { ...p.metadata, labels: { app: 'kubia', tier: 'web' } },
  });
  await assert.rejects(client.pods.update(p), ConflictError, 'stale resourceVersion');

  const merged = await client.pods.patch('kubia-1', { metadata: { labels: { merge: 'yes' } } }, 'merge', {
    namespace: 'default',
  });
  assert.equal(merged.metadata.labels?.merge, 'yes');
  const strategic = await client.pods.patch('kubia-1', { metadata: { labels: { strategic: 'yes' } } }, 'strategic', {
    namespace: 'default',
  });
  assert.equal(strategic.metadata.labels?.strategic, 'yes');
  const json = await client.pods.patch(
    'kubia-1',
    [{ op: 'add', path: '/metadata/labels/json', value: 'yes' }],
    'json',
    { namespace: 'default' },
  );
  assert.deepEqual(json.metadata.labels, { app: 'kubia', tier: 'web', merge: 'yes', strategic: 'yes', json: 'yes' });
  assert.notEqual(json.metadata.resourceVersion, labelled.metadata.resourceVersion);

  await client.bind('default', 'kubia-1', 'node1');
  const bound = await client.pods.get('kubia-1', 'default');
  assert.equal(bound.spec.nodeName, 'node1');

  const st = await client.pods.updateStatus({
    ...bound,
    status: { ...bound.status, phase: 'Running', podIP: '192.168.128.5' },
  });
  assert.equal(st.status?.podIP, '192.168.128.5');

  const list = await client.pods.list({ namespace: 'default', labelSelector: 'app=kubia' });
  assert.deepEqual(
    list.items.map((x) => x.metadata.name),
    ['kubia-1'],
  );
  assert.ok(list.metadata.resourceVersion);

  await client.pods.delete('kubia-1', 'default', { gracePeriodSeconds: 0 });
  await assert.rejects(client.pods.get('kubia-1', 'default'), NotFoundError);

  const stranger = connect(h, 'not-a-token');
  await assert.rejects(stranger.pods.list(), UnauthorizedError);
  stranger.close();
});

test('informer against the apiserver: cache, node-name index; a watch from a compacted revision gets ExpiredError', async (t) => {
  const h = await startApiServer({ memory: true });
  const client = connect(h);
  const errors: string[] = [];
  // Short server-side watch timeouts make the informer re-watch often, so a compaction in between
  // is seen as 410 Expired on the next watch.
  const factory = new SharedInformerFactory(client, new SystemClock(), {
    onError: (e, ctx) => errors.push(`${ctx}: ${(e as Error).message}`),
  });
  const pods = factory.pods();
  const seen: string[] = [];
  pods.addEventHandler({
    onAdd: (p) => seen.push(`add ${p.metadata.name}`),
    onDelete: (p) => seen.push(`delete ${p.metadata.name}`),
  });
  t.after(async () => {
    factory.shutdown();
    client.close();
    await h.stop();
  });
  await client.nodes.create(node('node1'));
  await client.pods.create(pod('a'));
  factory.start();
  await factory.waitForCacheSync();
  assert.deepEqual(pods.store.keys(), ['default/a']);

  await client.pods.create(pod('b'));
  await client.bind('default', 'b', 'node1');
  await until('b bound in the cache', () => pods.store.byIndex(PodNodeNameIndex, 'node1').length === 1);
  assert.equal(pods.store.byIndex(PodNodeNameIndex, 'node1')[0]!.metadata.name, 'b');

  // Watch-level 410: a watch from a compacted revision ends with a typed ExpiredError.
  const rvBefore = Number(pods.lastSyncResourceVersion());
  for (let i = 0; i < 3; i++) await client.nodes.create(node(`spare${i}`));
  h.backend.compact(h.backend.currentRevision());
  const closed = await new Promise<Error | undefined>((resolve) => {
    client.pods.watch({ resourceVersion: String(rvBefore - 1) }, { onEvent: () => {}, onClose: resolve });
  });
  assert.ok(closed instanceof ExpiredError, `expected ExpiredError, got ${closed}`);
  assert.equal(closed.code, 410);

  // The informer's own watch is still live and keeps working after compaction.
  await client.pods.delete('a', 'default', { gracePeriodSeconds: 0 });
  await until('a deleted', () => pods.store.get('default/a') === undefined);
  assert.ok(seen.includes('delete a'), seen.join(','));
});

test('an informer whose watch ends after compaction relists (410 Expired) and catches up', async (t) => {
  const h = await startApiServer({ memory: true });
  const client = connect(h);
  const errors: string[] = [];
  const inf = new Informer<Pod>(client.pods, new SystemClock(), {
    watchTimeoutSeconds: 1,
    backoffInitialMs: 10,
    onError: (e, ctx) => errors.push(`${ctx}: ${(e as Error).message}`),
  });
  await client.pods.create(pod('a'));
  const stop = inf.run();
  t.after(async () => {
    stop();
    client.close();
    await h.stop();
  });
  await inf.waitForSync();
  // Writes to another resource move the store's revision past the informer's pod version; after
  // compaction, the informer's next watch (the server ends each after 1 s) must get 410.
  for (let i = 0; i < 3; i++) await client.nodes.create(node(`n${i}`));
  h.backend.compact(h.backend.currentRevision());
  await until('relist', () => inf.relists === 2, 5000);
  assert.ok(
    errors.some((e) => /watch expired/.test(e) && /410/.test(e)),
    errors.join('\n'),
  );
  await client.pods.create(pod('b'));
  await until('b after relist', () => inf.store.size() === 2);
});
