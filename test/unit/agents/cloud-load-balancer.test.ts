// The emulated cloud LB's loop: per-Service keys on the shared work queue. A Service gets its
// address and DNAT rules; a node heartbeat changes nothing, a node turning NotReady rewrites the
// chain; a failed write is retried with backoff on the injected clock; a deleted Service frees
// its address.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Service } from '../../../common/api-types.js';
import { FakeClock } from '../../../cluster/client/clock.js';
import { CloudLoadBalancer } from '../../../cluster/agents/cloud/cloud-load-balancer.js';
import { FakeInformers, RecordingDriver, flush } from './fake-informers.js';

const node = (name: string, ip: string, ready: boolean, heartbeat = '1'): Node =>
  ({
    metadata: { name, annotations: { heartbeat } },
    status: {
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
      addresses: [{ type: 'InternalIP', address: ip }],
    },
  }) as unknown as Node;

const lbService = (name: string, ip: string): Service =>
  ({
    metadata: { name, namespace: 'default' },
    spec: { type: 'LoadBalancer', ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }] },
    status: { loadBalancer: { ingress: [{ ip }] } },
  }) as unknown as Service;

async function setup() {
  const clock = new FakeClock();
  const informers = new FakeInformers(clock);
  const driver = new RecordingDriver();
  const logs: string[] = [];
  const lb = new CloudLoadBalancer(
    informers.asFactory(),
    clock,
    driver.asDriver(),
    { netns: 'kw-gw', device: 'eth1' },
    (l) => logs.push(l),
  );
  const stop = lb.start();
  await flush();
  return { clock, informers, driver, lb, logs, stop };
}

test('a LoadBalancer Service gets its address and one DNAT rule per Ready node', async () => {
  const { informers, driver, lb, stop } = await setup();
  informers.nodeObjects.put(node('node1', '10.0.0.1', true));
  informers.nodeObjects.put(node('node2', '10.0.0.2', false));
  informers.serviceObjects.put(lbService('web', '203.0.113.10'));
  await flush();
  await lb.settled();
  const calls = driver.take();
  assert.ok(calls.includes('exec kw-gw ip addr replace 203.0.113.10/32 dev eth1'), calls.join('\n'));
  const chain = calls.filter((c) => c.startsWith('script iptables-apply.sh')).at(-1) ?? '';
  assert.match(chain, /-d 203\.0\.113\.10\/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 10\.0\.0\.1:30080/);
  assert.doesNotMatch(chain, /10\.0\.0\.2/, 'a NotReady node gets no traffic');

  informers.nodeObjects.put(node('node1', '10.0.0.1', true, '2'));
  await flush();
  await lb.settled();
  assert.deepEqual(driver.take(), [], 'a heartbeat changes no target: nothing is rewritten');

  informers.nodeObjects.put(node('node2', '10.0.0.2', true, '2'));
  await flush();
  await lb.settled();
  const after = driver.take().join('\n');
  assert.match(after, /--probability 0\.5000000000 -j DNAT --to-destination 10\.0\.0\.1:30080/);
  assert.match(after, /-j DNAT --to-destination 10\.0\.0\.2:30080/);
  stop();
});

test('a failed chain write is retried with backoff until it succeeds; a deleted Service frees its address', async () => {
  const { clock, informers, driver, lb, logs, stop } = await setup();
  informers.nodeObjects.put(node('node1', '10.0.0.1', true));
  driver.failing = /iptables-apply/;
  informers.serviceObjects.put(lbService('web', '203.0.113.10'));
  await flush();
  await lb.settled();
  assert.equal(driver.take().filter((c) => c.includes('iptables-apply')).length, 1);
  assert.match(logs.join('\n'), /cloud load balancer default\/web: .*injected failure/);

  clock.advance(199);
  await flush();
  assert.equal(driver.take().length, 0, 'the first retry waits 200 ms');
  clock.advance(1);
  await flush();
  await lb.settled();
  assert.equal(driver.take().filter((c) => c.includes('iptables-apply')).length, 1, 'retried once, failed again');
  clock.advance(399);
  await flush();
  assert.equal(driver.take().length, 0, 'the second retry waits twice as long');
  driver.failing = undefined;
  clock.advance(1);
  await flush();
  await lb.settled();
  assert.match(driver.take().join('\n'), /--to-destination 10\.0\.0\.1:30080/);
  clock.advance(60_000);
  await flush();
  assert.deepEqual(driver.take(), [], 'after a success nothing more is retried');

  informers.serviceObjects.delete(lbService('web', '203.0.113.10'));
  await flush();
  await lb.settled();
  const calls = driver.take();
  assert.ok(calls.includes('exec kw-gw ip addr del 203.0.113.10/32 dev eth1'), calls.join('\n'));
  assert.ok(
    calls.some((c) => c === 'script iptables-apply.sh kw-gw nat KW-CLOUD-LB PREROUTING\n\n'),
    'chain emptied',
  );
  stop();
});
