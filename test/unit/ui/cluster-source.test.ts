// The cluster tables' source: listeners hear when every kind has synced, also when the kinds that
// sync last list nothing (no add event follows their list), so the Cluster view can say "watching".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeList, KubeObject } from '../../../common/api-types.js';
import type { ClusterSnapshot } from '../../../common/cluster-contract.js';
import { FakeClock } from '../../../cluster/client/clock.js';
import type { KubeClient } from '../../../cluster/client/kube-client.js';
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
