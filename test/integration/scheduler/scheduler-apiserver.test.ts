// The scheduler against the real apiserver: binds through pods/binding, writes Scheduled and
// FailedScheduling events with kube-scheduler's messages, sets PodScheduled=False, and retries
// an unschedulable pod when a node that fits appears.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Event, Pod } from '../../../common/api-types.js';
import { SystemClock } from '../../../cluster/client/clock.js';
import { SharedInformerFactory } from '../../../cluster/client/informer-factory.js';
import { KubeClient } from '../../../cluster/client/kube-client.js';
import { DECISION_ANNOTATION, Scheduler } from '../../../cluster/scheduler/scheduler.js';
import { startApiServer } from '../apiserver/harness.js';
import { makeNode, makePod, seededRandom } from '../../unit/scheduler/fixtures.js';
import { eventually as until } from '../../helpers/eventually.js';

async function startAll() {
  const h = await startApiServer({ memory: true });
  const client = new KubeClient({ server: h.server.url, ca: readFileSync(h.server.caPath), token: h.token });
  const clock = new SystemClock();
  const factory = new SharedInformerFactory(client, clock, { onError: () => {} });
  const errors: string[] = [];
  const scheduler = new Scheduler(client, factory, clock, {
    random: seededRandom(7),
    podInitialBackoffMs: 200,
    podMaxBackoffMs: 1000,
    onError: (e, c) => errors.push(`${c}: ${(e as Error).message}`),
  });
  return {
    h,
    client,
    scheduler,
    errors,
    async stop() {
      await scheduler.stop();
      factory.shutdown();
      client.close();
      await h.stop();
    },
  };
}

async function eventsFor(client: KubeClient, pod: string): Promise<Event[]> {
  const list = await client.events.list({ namespace: 'default' });
  return list.items.filter((e) => e.involvedObject.name === pod);
}

test('six pods spread over six nodes, each bound with a Scheduled event and a decision annotation', async (t) => {
  const env = await startAll();
  t.after(() => env.stop());
  const { client, scheduler } = env;
  for (let i = 1; i <= 6; i++) await client.nodes.create(makeNode(`node${i}`));
  scheduler.start();
  for (let i = 0; i < 6; i++) await client.pods.create(makePod(`kubia-${i}`, { labels: { app: 'kubia' } }));
  const pods = await until('all six bound', async () => {
    const l = await client.pods.list({ namespace: 'default' });
    return l.items.every((p) => p.spec.nodeName) && l.items.length === 6 ? l.items : undefined;
  });
  assert.deepEqual(pods.map((p) => p.spec.nodeName).sort(), ['node1', 'node2', 'node3', 'node4', 'node5', 'node6']);
  const p0 = pods.find((p) => p.metadata.name === 'kubia-0')!;
  assert.match(p0.metadata.annotations?.[DECISION_ANNOTATION] ?? '', /^node\d; feasible 6\/6 of 6; top /);
  const ev = await until('Scheduled event', async () =>
    (await eventsFor(client, 'kubia-0')).find((e) => e.reason === 'Scheduled'),
  );
  assert.equal(ev.message, `Successfully assigned default/kubia-0 to ${p0.spec.nodeName}`);
  assert.equal(ev.type, 'Normal');
  assert.equal(ev.source?.component, 'default-scheduler');
  const d = scheduler.decisionFor('default', 'kubia-0')!;
  assert.equal(d.selected, p0.spec.nodeName);
  assert.equal(d.nodes.length, 6);
  assert.deepEqual(env.errors, []);
});

test('a pod that fits nowhere gets FailedScheduling with the real message, then lands when a node fits', async (t) => {
  const env = await startAll();
  t.after(() => env.stop());
  const { client, scheduler } = env;
  for (let i = 1; i <= 3; i++) await client.nodes.create(makeNode(`node${i}`, { cpu: '1' }));
  for (let i = 4; i <= 6; i++)
    await client.nodes.create(
      makeNode(`node${i}`, { cpu: '8', taints: [{ key: 'dedicated', value: 'infra', effect: 'NoSchedule' }] }),
    );
  scheduler.start();
  await client.pods.create(makePod('big', { cpu: '2' }));
  const ev = await until('FailedScheduling event', async () =>
    (await eventsFor(client, 'big')).find((e) => e.reason === 'FailedScheduling'),
  );
  assert.equal(
    ev.message,
    '0/6 nodes are available: 3 Insufficient cpu, 3 node(s) had untolerated taint {dedicated: infra}. preemption: 0/6 nodes are available: 3 No preemption victims found for incoming pod, 3 Preemption is not helpful for scheduling.',
  );
  assert.equal(ev.type, 'Warning');
  const cond = await until('PodScheduled=False', async () =>
    (await client.pods.get('big', 'default')).status?.conditions?.find(
      (c) => c.type === 'PodScheduled' && c.status === 'False',
    ),
  );
  assert.equal(cond.reason, 'Unschedulable');

  // Retries (backoff 200 ms here) repeat the same message: the recorder bumps one Event's count.
  const repeated = await until('FailedScheduling count > 1', async () =>
    (await eventsFor(client, 'big')).find((e) => e.reason === 'FailedScheduling' && (e.count ?? 0) > 1),
  );
  assert.equal(
    (await eventsFor(client, 'big')).filter((e) => e.reason === 'FailedScheduling').length,
    1,
    'one Event, counted',
  );
  assert.notEqual(repeated.lastTimestamp, undefined);

  await client.nodes.create(makeNode('node7', { cpu: '4' }));
  const bound = await until('big bound to node7', async () => {
    const p: Pod = await client.pods.get('big', 'default');
    return p.spec.nodeName ? p : undefined;
  });
  assert.equal(bound.spec.nodeName, 'node7');
});

test('a burst of pods with requests never overpacks a node (assumed pods count)', async (t) => {
  const env = await startAll();
  t.after(() => env.stop());
  const { client, scheduler } = env;
  await client.nodes.create(makeNode('node1', { cpu: '2' }));
  await client.nodes.create(makeNode('node2', { cpu: '2' }));
  scheduler.start();
  await Promise.all(Array.from({ length: 5 }, (_, i) => client.pods.create(makePod(`w${i}`, { cpu: '1' }))));
  await until('4 bound, 1 failed', async () => {
    const l = await client.pods.list({ namespace: 'default' });
    return l.items.filter((p) => p.spec.nodeName).length === 4 &&
      (await client.events.list({ namespace: 'default' })).items.some((e) => e.reason === 'FailedScheduling')
      ? true
      : undefined;
  });
  const l = await client.pods.list({ namespace: 'default' });
  const perNode = new Map<string, number>();
  for (const p of l.items) if (p.spec.nodeName) perNode.set(p.spec.nodeName, (perNode.get(p.spec.nodeName) ?? 0) + 1);
  assert.deepEqual([...perNode.values()], [2, 2]);
  const failed = (await client.events.list({ namespace: 'default' })).items.find(
    (e) => e.reason === 'FailedScheduling',
  )!;
  assert.match(failed.message!, /^0\/2 nodes are available: 2 Insufficient cpu\./);
});
