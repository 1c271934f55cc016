import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../../../common/api-types.js';
import { FakeClock, SystemClock } from '../../../cluster/client/clock.js';
import { Informer } from '../../../cluster/client/informer.js';
import { KubeClient } from '../../../cluster/client/kube-client.js';
import { SharedInformerFactory } from '../../../cluster/client/informer-factory.js';
import { FakePodServer } from './fake-apiserver.js';
import { eventually as until } from '../../helpers/eventually.js';

function recorder() {
  const seen: string[] = [];
  return {
    seen,
    handler: {
      onAdd: (p: Pod) => seen.push(`add ${p.metadata.name}`),
      onUpdate: (o: Pod, n: Pod) =>
        seen.push(`update ${n.metadata.name} ${o.metadata.resourceVersion}->${n.metadata.resourceVersion}`),
      onDelete: (p: Pod) => seen.push(`delete ${p.metadata.name}`),
    },
  };
}

test('informer lists, watches from the list version, and relists after 410 Expired', async (t) => {
  const server = new FakePodServer();
  await server.start();
  const client = new KubeClient({ server: server.url });
  const errors: string[] = [];
  const inf = new Informer<Pod>(client.pods, new SystemClock(), {
    backoffInitialMs: 10,
    onError: (e, ctx) => errors.push(`${ctx}: ${(e as Error).message}`),
    indexers: { app: (p) => (p.metadata.labels?.app ? [p.metadata.labels.app] : []) },
  });
  const stop = inf.run();
  t.after(async () => {
    stop();
    client.close();
    await server.stop();
  });
  server.put('a', { app: 'web' });
  server.put('b', { app: 'db' });
  const rec = recorder();
  inf.addEventHandler(rec.handler);
  await inf.waitForSync();
  assert.equal(inf.hasSynced(), true);
  const listed = inf.store.keys().sort();
  // The list may or may not have raced the two puts; after the watch both must be there.
  await until('a and b cached', () => inf.store.size() === 2);
  assert.ok(listed.length <= 2);
  await until('watch open', () => server.openWatches() === 1);
  const watchReq = server.requests.find((r) => r.url.includes('watch=1'))!;
  assert.match(
    watchReq.url,
    new RegExp(`resourceVersion=${inf.lastSyncResourceVersion()}(&|$)`),
    'the watch starts at the list version',
  );

  server.put('c', { app: 'web' });
  server.put('a', { app: 'web' });
  server.remove('b');
  await until('c added, a updated, b deleted', () => rec.seen.includes('delete b'));
  assert.deepEqual(inf.store.keys().sort(), ['default/a', 'default/c']);
  assert.deepEqual(
    inf.store
      .byIndex('app', 'web')
      .map((p) => p.metadata.name)
      .sort(),
    ['a', 'c'],
  );
  assert.deepEqual(inf.store.byIndex('app', 'db'), []);
  assert.deepEqual(inf.store.byIndex('namespace', 'default').length, 2);
  assert.ok(rec.seen.includes('add c'));
  assert.ok(rec.seen.some((s) => s.startsWith('update a ')));

  // Changes the informer never hears about by watch, then a compaction: the re-watch from the old
  // version gets 410, and only a relist can show that d appeared and c vanished.
  rec.seen.length = 0;
  server.put('d', {}, false);
  server.remove('c', false);
  server.compactAndDropWatches();
  await until(
    'relist after 410',
    () => inf.relists === 2 && inf.store.size() === 2 && server.openWatches() === 1,
  ).catch((e) => {
    throw new Error(
      `${e.message}: relists=${inf.relists} keys=${inf.store.keys()} watches=${server.openWatches()} errors=${errors.join(';')} reqs=${server.requests.map((r) => r.url).join(' ')}`,
    );
  });
  assert.deepEqual(inf.store.keys().sort(), ['default/a', 'default/d']);
  assert.deepEqual(rec.seen.sort(), ['add d', 'delete c']);
  assert.ok(
    errors.some((e) => /watch expired/.test(e) && /410|Expired/.test(e)),
    errors.join('\n'),
  );

  // And the new watch is live.
  server.put('e');
  await until('e after relist', () => inf.store.get('default/e') !== undefined);
});

test('a watch that ends cleanly is reopened from the last version without a relist', async (t) => {
  const server = new FakePodServer();
  await server.start();
  const client = new KubeClient({ server: server.url });
  const inf = new Informer<Pod>(client.pods, new SystemClock(), { backoffInitialMs: 10, onError: () => {} });
  const stop = inf.run();
  t.after(async () => {
    stop();
    client.close();
    await server.stop();
  });
  await inf.waitForSync();
  await until('watch open', () => server.openWatches() === 1);
  server.put('x');
  await until('x', () => inf.store.size() === 1);
  const before = server.requests.length;
  // End the open watch without compacting.
  server.compacted = 0;
  const log = [...server.log];
  server.compactAndDropWatches();
  server.log.push(...log);
  server.compacted = 0;
  await until('rewatch', () => server.openWatches() === 1);
  const after = server.requests.slice(before);
  assert.equal(inf.relists, 1, 'no relist');
  assert.ok(
    after.every((r) => r.url.includes('watch=1')),
    after.map((r) => r.url).join(', '),
  );
  assert.match(after[0]!.url, new RegExp(`resourceVersion=${server.rv}(&|$)`));
});

test('a list that fails is retried after a backoff measured on the injected clock', async (t) => {
  const clock = new FakeClock();
  let calls = 0;
  const inf = new Informer<Pod>(
    {
      list: async () => {
        calls++;
        if (calls < 3) throw new Error('connection refused');
        return { metadata: { resourceVersion: '5' }, items: [] };
      },
      watch: () => () => {},
    },
    clock,
    { backoffInitialMs: 100, backoffMaxMs: 150, onError: () => {} },
  );
  const stop = inf.run();
  t.after(stop);
  await new Promise((r) => setImmediate(r));
  assert.equal(calls, 1);
  clock.advance(99);
  await new Promise((r) => setImmediate(r));
  assert.equal(calls, 1, 'no retry before the backoff');
  clock.advance(1);
  await new Promise((r) => setImmediate(r));
  assert.equal(calls, 2);
  clock.advance(149);
  await new Promise((r) => setImmediate(r));
  assert.equal(calls, 2, 'the second backoff doubled, capped at 150');
  clock.advance(1);
  await new Promise((r) => setImmediate(r));
  assert.equal(calls, 3);
  assert.equal(inf.hasSynced(), true);
  assert.equal(inf.lastSyncResourceVersion(), '5');
});

test('onListed follows every list that reached the cache, also a relist that changed nothing', async (t) => {
  const clock = new FakeClock();
  let lists = 0;
  let closeWatch: ((err?: Error) => void) | undefined;
  const listed: number[] = [];
  const errors: string[] = [];
  const inf = new Informer<Pod>(
    {
      list: async () => {
        lists++;
        if (lists === 2) throw new Error('connection refused');
        return { metadata: { resourceVersion: '5' }, items: [] };
      },
      watch: (_o, h) => {
        closeWatch = (err) => h.onClose(err);
        return () => {};
      },
    },
    clock,
    {
      backoffInitialMs: 100,
      onError: (err, context) => errors.push(`${context}: ${(err as Error).message}`),
      onListed: () => {
        listed.push(lists);
        if (lists === 3) throw new Error('listener broke');
      },
    },
  );
  t.after(inf.run());
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(listed, [1], 'the first sync');
  closeWatch!(new Error('stream reset'));
  clock.advance(100);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(listed, [1], 'a failed list is not news');
  clock.advance(200);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(listed, [1, 3], 'the relist found nothing new, yet is reported');
  assert.deepEqual(errors, ['watch: stream reset', 'list: connection refused', 'onListed: listener broke']);
  assert.equal(inf.relists, 2);
});

test('the shared factory gives every controller the same pod informer, indexed by node name', async (t) => {
  const server = new FakePodServer();
  await server.start();
  const client = new KubeClient({ server: server.url });
  const factory = new SharedInformerFactory(client, new SystemClock(), { onError: () => {} });
  t.after(async () => {
    factory.shutdown();
    client.close();
    await server.stop();
  });
  const a = factory.pods();
  const b = factory.pods();
  assert.equal(a, b);
  factory.start();
  await factory.waitForCacheSync();
  await until('watch open', () => server.openWatches() === 1);
  assert.equal(server.requests.filter((r) => r.url.includes('watch=1')).length, 1, 'one watch for both users');
  assert.deepEqual(a.store.byIndex('spec.nodeName', 'node1'), []);
});
