// kube-proxy's loop: informer changes go to the backend at once and ask the sync runner for a sync
// (at once after a quiet spell, one per minSyncPeriod in a burst); a failed sync forces the next to
// be full and is retried after minSyncPeriod without any new change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Service } from '../../../common/api-types.js';
import { FakeClock } from '../../../cluster/client/clock.js';
import type { KubeClient } from '../../../cluster/client/kube-client.js';
import { KubeProxyAgent } from '../../../cluster/agents/proxy/kube-proxy-agent.js';
import type { ProxyBackend } from '../../../cluster/proxy/proxy-backend.js';
import type { SyncReport } from '../../../cluster/proxy/proxier.js';
import { FakeInformers, flush } from './fake-informers.js';

class FakeBackend {
  dirty = new Set<string>();
  full = true;
  failNext = 0;
  syncs: { at: number; full: boolean; services: string[] }[] = [];
  constructor(private readonly clock: FakeClock) {}
  onServiceUpsert(s: { metadata: { name?: string } }) {
    this.dirty.add(s.metadata.name ?? '');
  }
  onServiceDelete(s: { metadata: { name?: string } }) {
    this.dirty.add(s.metadata.name ?? '');
  }
  onEndpointSliceUpsert() {}
  onEndpointSliceDelete() {}
  forceFullSync() {
    this.full = true;
  }
  pending() {
    return this.full || this.dirty.size > 0;
  }
  sync(): Promise<SyncReport> {
    this.syncs.push({ at: this.clock.now(), full: this.full, services: [...this.dirty].sort() });
    if (this.failNext > 0) {
      this.failNext--;
      return Promise.reject(new Error('iptables-restore: exit 1'));
    }
    this.full = false;
    this.dirty.clear();
    return Promise.resolve({ full: false } as SyncReport);
  }
  lastRestoreText() {
    return '';
  }
}

const svc = (name: string) => ({ metadata: { name, namespace: 'default' }, spec: {} }) as unknown as Service;

async function setup() {
  const clock = new FakeClock();
  const t0 = clock.now();
  const informers = new FakeInformers(clock);
  const backend = new FakeBackend(clock);
  const logs: string[] = [];
  const agent = new KubeProxyAgent(
    {} as KubeClient,
    clock,
    backend as unknown as ProxyBackend,
    { log: (l) => logs.push(l) },
    informers.asFactory(),
  );
  const stop = agent.start();
  await flush();
  await agent.settled();
  const at = () => backend.syncs.map((s) => s.at - t0);
  return { clock, informers, backend, agent, logs, stop, at };
}

test('a full sync once the caches are in; then a change syncs at once, a burst after it once per minSyncPeriod', async () => {
  const { clock, informers, backend, agent, stop, at } = await setup();
  assert.deepEqual(backend.syncs, [{ at: backend.syncs[0]!.at, full: true, services: [] }]);
  clock.advance(5000);
  informers.serviceObjects.put(svc('a'));
  await flush();
  await agent.settled();
  assert.deepEqual(at(), [0, 5000], 'after a quiet spell the change is written at once');
  assert.deepEqual(backend.syncs[1]!.services, ['a'], 'a partial sync of the changed Service');
  clock.advance(100);
  informers.serviceObjects.put(svc('b'));
  informers.serviceObjects.put(svc('c'));
  await flush();
  assert.equal(backend.syncs.length, 2, 'the burst waits for minSyncPeriod');
  clock.advance(900);
  await flush();
  await agent.settled();
  assert.deepEqual(at(), [0, 5000, 6000]);
  assert.deepEqual(backend.syncs[2]!.services, ['b', 'c'], 'the whole burst in one sync');
  stop();
});

test('a failed sync is logged, forces a full one, and is retried after minSyncPeriod with no new change', async () => {
  const { clock, informers, backend, agent, logs, stop, at } = await setup();
  clock.advance(5000);
  backend.failNext = 2;
  informers.serviceObjects.put(svc('a'));
  await flush();
  await agent.settled();
  assert.match(logs.join('\n'), /kube-proxy: sync failed: iptables-restore: exit 1/);
  clock.advance(1000);
  await flush();
  await agent.settled();
  clock.advance(1999);
  await flush();
  assert.deepEqual(at(), [0, 5000, 6000], 'the second retry waits 2 s');
  clock.advance(1);
  await flush();
  await agent.settled();
  assert.deepEqual(at(), [0, 5000, 6000, 8000]);
  assert.deepEqual(
    backend.syncs.slice(1).map((s) => s.full),
    [false, true, true],
    'after a failure the retries are full syncs',
  );
  clock.advance(60_000);
  await flush();
  assert.equal(backend.syncs.length, 4, 'the success ends the retries');
  stop();
});
