// The cluster tables' source: listeners hear when every kind has synced, also when the kinds that
// sync last list nothing (no add event follows their list), so the Cluster view can say "watching";
// a kind's informer error stays shown until that kind lists again, even when the list is empty.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeList, KubeObject } from '../../../common/api-types.js';
import type { ClusterSnapshot } from '../../../common/cluster-contract.js';
import { FakeClock } from '../../../cluster/client/clock.js';
import type { KubeClient } from '../../../cluster/client/kube-client.js';
import type { WatchHandlers } from '../../../cluster/client/rest-client.js';
import { KubeClusterSource } from '../../../server/cluster/cluster-source.js';

/** A resource whose list answers only when the test releases it; its watch stays quiet. */
function heldResource(resource: string) {
  let release!: (items: KubeObject[]) => void;
  const listed = new Promise<KubeList<KubeObject>>((resolve) => {
    release = (items) => resolve({ apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '7' }, items });
  });
  return {
    type: { group: '', version: 'v1', resource },
    list: () => listed,
    watch: () => () => {},
    release,
  };
}

const flush = () => new Promise((r) => setImmediate(r));

test('the snapshot turns synced when the last kinds to sync list nothing', async () => {
  const kinds = {
    nodes: heldResource('nodes'),
    pods: heldResource('pods'),
    deployments: heldResource('deployments'),
    replicaSets: heldResource('replicasets'),
    services: heldResource('services'),
    endpoints: heldResource('endpoints'),
    events: heldResource('events'),
  };
  const clock = new FakeClock();
  const source = new KubeClusterSource(kinds as unknown as KubeClient, { clock, server: 'test', debounceMs: 100 });
  const seen: ClusterSnapshot[] = [];
  const off = source.subscribe((s) => seen.push(s));
  assert.equal(seen.at(-1)?.synced, false);

  // One kind with an object first: its add reaches the listeners, not yet synced as a whole.
  kinds.pods.release([
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'kubia-24hmb', namespace: 'default', resourceVersion: '7' },
      spec: { containers: [{ name: 'kubia', image: 'kubia' }] },
    } as KubeObject,
  ]);
  await flush();
  clock.advance(100);
  assert.equal(seen.at(-1)?.synced, false);
  assert.equal(seen.at(-1)?.tables.find((t) => t.kind === 'pods')?.rows.length, 1);

  // The rest list empty: no add event, but the listeners must hear that all is synced.
  const count = seen.length;
  for (const k of ['nodes', 'deployments', 'replicaSets', 'services', 'endpoints', 'events'] as const)
    kinds[k].release([]);
  await flush();
  clock.advance(100);
  assert.ok(seen.length > count, 'a snapshot follows the last sync');
  assert.equal(seen.at(-1)?.synced, true);
  off();
  assert.equal(clock.pendingTimers(), 0);
});

/** A resource whose lists fail `failures` times, then answer empty; its watch can be fed by the test. */
function flakyResource(resource: string, failures: number) {
  const r = {
    type: { group: '', version: 'v1', resource },
    lists: 0,
    handlers: undefined as WatchHandlers<KubeObject> | undefined,
    list: async (): Promise<KubeList<KubeObject>> => {
      r.lists++;
      if (r.lists <= failures) throw new Error(`connect ECONNREFUSED (${resource} list ${r.lists})`);
      return { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '7' }, items: [] };
    },
    watch: (_opts: unknown, handlers: WatchHandlers<KubeObject>) => {
      r.handlers = handlers;
      return () => {};
    },
  };
  return r;
}

function flakySource(nodeFailures: number) {
  const kinds = {
    nodes: flakyResource('nodes', nodeFailures),
    pods: flakyResource('pods', 0),
    deployments: flakyResource('deployments', 0),
    replicaSets: flakyResource('replicasets', 0),
    services: flakyResource('services', 0),
    endpoints: flakyResource('endpoints', 0),
    events: flakyResource('events', 0),
  };
  const clock = new FakeClock();
  const source = new KubeClusterSource(kinds as unknown as KubeClient, { clock, server: 'test', debounceMs: 100 });
  const seen: ClusterSnapshot[] = [];
  const off = source.subscribe((s) => seen.push(s));
  return { kinds, clock, seen, off };
}

test('a successful relist of an empty kind clears the error its failed list left', async () => {
  const { kinds, clock, seen, off } = flakySource(1);
  await flush();
  clock.advance(100);
  assert.match(seen.at(-1)?.error ?? '', /nodes.*list.*ECONNREFUSED \(nodes list 1\)/);
  assert.equal(seen.at(-1)?.synced, false);

  // The informer's backoff (800 ms) runs the list again: it succeeds, with nothing in it.
  clock.advance(800);
  await flush();
  clock.advance(100);
  assert.equal(kinds.nodes.lists, 2);
  assert.equal(seen.at(-1)?.error, undefined, 'the relist cleared the error');
  assert.equal(seen.at(-1)?.synced, true);
  off();
  assert.equal(clock.pendingTimers(), 0);
});

test("another kind's event does not hide a kind's error; its own relist does", async () => {
  const { kinds, clock, seen, off } = flakySource(2);
  await flush();
  clock.advance(100);
  assert.match(seen.at(-1)?.error ?? '', /nodes list 1/);

  // A pod arrives while nodes still cannot be listed: the nodes' error stays.
  kinds.pods.handlers!.onEvent({
    type: 'ADDED',
    object: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'kubia-24hmb', namespace: 'default', resourceVersion: '8' },
      spec: { containers: [{ name: 'kubia', image: 'kubia' }] },
    } as KubeObject,
  });
  clock.advance(100);
  assert.equal(seen.at(-1)?.tables.find((t) => t.kind === 'pods')?.rows.length, 1);
  assert.match(seen.at(-1)?.error ?? '', /nodes list 1/);

  clock.advance(800); // second list of nodes: fails again
  await flush();
  clock.advance(100);
  assert.match(seen.at(-1)?.error ?? '', /nodes list 2/);

  clock.advance(1600); // third: succeeds
  await flush();
  clock.advance(100);
  assert.equal(kinds.nodes.lists, 3);
  assert.equal(seen.at(-1)?.error, undefined);
  assert.equal(seen.at(-1)?.synced, true);
  off();
  assert.equal(clock.pendingTimers(), 0);
});
