// The cluster DNS records writer's loop: per-Service keys on the shared work queue, and the records
// file as one more key. A burst of Services ends in one write; an EndpointSlice change redoes its
// Service only; a failed write is retried with backoff on the injected clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EndpointSlice, Service } from '../../../common/api-types.js';
import { FakeClock } from '../../../cluster/client/clock.js';
import { DnsRecordsWriter } from '../../../cluster/agents/dns/dns-records.js';
import { FakeInformers, flush } from './fake-informers.js';

const cfg = { serviceNetwork: '192.168.192.0/18', domain: 'cluster.local', upstream: '198.51.100.53' };
const svc = (name: string, clusterIP: string) =>
  ({ metadata: { name, namespace: 'default' }, spec: { clusterIP } }) as unknown as Service;
const slice = (svcName: string, ips: string[]) =>
  ({
    metadata: { name: `${svcName}-x`, namespace: 'default', labels: { 'kubernetes.io/service-name': svcName } },
    addressType: 'IPv4',
    endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
  }) as EndpointSlice;

async function setup(failFirst = 0) {
  const clock = new FakeClock();
  const informers = new FakeInformers(clock);
  const writes: Record<string, string[]>[] = [];
  const logs: string[] = [];
  let failures = failFirst;
  const writer = new DnsRecordsWriter(
    informers.asFactory(),
    clock,
    cfg,
    (text) => {
      if (failures > 0) {
        failures--;
        return Promise.reject(new Error('disk full'));
      }
      const parsed = JSON.parse(text) as { domain: string; upstream: string; names: Record<string, string[]> };
      assert.equal(parsed.domain, 'cluster.local');
      assert.equal(parsed.upstream, '198.51.100.53');
      writes.push(parsed.names);
      return Promise.resolve();
    },
    (l) => logs.push(l),
  );
  const stop = writer.start();
  await flush();
  await writer.settled();
  return { clock, informers, writer, writes, logs, stop };
}

test('a burst of Services is one write; a slice change updates its headless Service; deletion removes names', async () => {
  const { informers, writer, writes, stop } = await setup();
  assert.deepEqual(writes, [{}], 'the first file is written once the caches are in, empty');
  informers.serviceObjects.put(svc('a', '192.168.200.1'));
  informers.serviceObjects.put(svc('b', '192.168.200.2'));
  informers.serviceObjects.put(svc('web', 'None'));
  await flush();
  await writer.settled();
  assert.equal(writes.length, 2, 'three Service syncs, one write');
  assert.deepEqual(writes[1], {
    'a.default.svc.cluster.local': ['192.168.200.1'],
    'b.default.svc.cluster.local': ['192.168.200.2'],
    'web.default.svc.cluster.local': [],
  });

  informers.sliceObjects.put(slice('web', ['192.168.128.7', '192.168.129.8']));
  await flush();
  await writer.settled();
  assert.deepEqual(writes.at(-1)!['web.default.svc.cluster.local'], ['192.168.128.7', '192.168.129.8']);

  informers.serviceObjects.put({
    ...svc('a', '192.168.200.1'),
    metadata: { name: 'a', namespace: 'default', labels: { x: 'y' } },
  });
  await flush();
  await writer.settled();
  assert.equal(writes.length, 3, 'a change that changes no name writes nothing');

  informers.serviceObjects.delete(svc('b', '192.168.200.2'));
  await flush();
  await writer.settled();
  assert.equal(writes.at(-1)!['b.default.svc.cluster.local'], undefined);
  assert.deepEqual(writes.at(-1)!['a.default.svc.cluster.local'], ['192.168.200.1']);
  stop();
});

test('a failed write is retried after 50 ms, then 100 ms, until it lands', async () => {
  const { clock, writer, writes, logs, stop } = await setup(2);
  assert.deepEqual(writes, []);
  assert.match(logs.join('\n'), /cluster DNS records records-file: disk full/);
  clock.advance(49);
  await flush();
  assert.equal(logs.length, 1, 'not before 50 ms');
  clock.advance(1);
  await flush();
  await writer.settled();
  assert.equal(logs.length, 2, 'second try failed too');
  clock.advance(99);
  await flush();
  assert.deepEqual(writes, []);
  clock.advance(1);
  await flush();
  await writer.settled();
  assert.deepEqual(writes, [{}]);
  stop();
});
