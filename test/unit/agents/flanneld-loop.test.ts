// flanneld's loop: one key per other node's lease on the shared work queue. A peer's entries are
// programmed once (a heartbeat changes nothing), reprogrammed when its VTEP changes, removed with
// its Node; a failed programming is retried with backoff until it succeeds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node } from '../../../common/api-types.js';
import { FakeClock } from '../../../cluster/client/clock.js';
import type { KubeClient } from '../../../cluster/client/kube-client.js';
import {
  ANN_BACKEND_DATA,
  ANN_BACKEND_TYPE,
  ANN_PUBLIC_IP,
  Flanneld,
} from '../../../cluster/agents/flannel/flanneld.js';
import { FakeInformers, RecordingDriver, flush } from './fake-informers.js';

const peer = (name: string, cidr: string, mac: string, ip: string, heartbeat = '1'): Node =>
  ({
    metadata: {
      name,
      annotations: {
        [ANN_BACKEND_TYPE]: 'vxlan',
        [ANN_BACKEND_DATA]: JSON.stringify({ VNI: 1, VtepMAC: mac }),
        [ANN_PUBLIC_IP]: ip,
        heartbeat,
      },
    },
    spec: { podCIDR: cidr },
  }) as unknown as Node;

async function setup() {
  const clock = new FakeClock();
  const informers = new FakeInformers(clock);
  const driver = new RecordingDriver();
  const patched: unknown[] = [];
  const client = { nodes: { patch: (_n: string, body: unknown) => Promise.resolve(patched.push(body)) } };
  const logs: string[] = [];
  const f = new Flanneld(
    client as unknown as KubeClient,
    clock,
    driver.asDriver(),
    {
      node: 'node1',
      netns: 'kw-node1',
      publicIP: '10.0.0.1',
      subnet: '10.244.1.0/24',
      vni: 1,
      vtepMAC: '02:00:00:00:00:01',
      mode: 'static',
      device: 'flannel.1',
    },
    (l) => logs.push(l),
    informers.asFactory(),
  );
  const stop = await f.start();
  assert.equal(patched.length, 1, 'its own VTEP is published first');
  return { clock, informers, driver, f, logs, stop };
}

test('static mode: a peer is programmed once, reprogrammed when its VTEP changes, removed with its Node', async () => {
  const { informers, driver, f, stop } = await setup();
  informers.nodeObjects.put(peer('node1', '10.244.1.0/24', '02:00:00:00:00:01', '10.0.0.1'));
  informers.nodeObjects.put(peer('node2', '10.244.2.0/24', '02:00:00:00:00:02', '10.0.0.2'));
  await flush();
  await f.settled();
  assert.deepEqual(driver.take(), [
    'script vxlan-peers.sh kw-node1 flannel.1 10.244.2.0/24 10.244.2.0 02:00:00:00:00:02 10.0.0.2',
  ]);
  assert.deepEqual([...f.peers.keys()], ['node2'], 'its own node is no peer');

  informers.nodeObjects.put(peer('node2', '10.244.2.0/24', '02:00:00:00:00:02', '10.0.0.2', '2'));
  await flush();
  await f.settled();
  assert.deepEqual(driver.take(), [], 'a heartbeat changes nothing');

  informers.nodeObjects.put(peer('node2', '10.244.2.0/24', '02:00:00:00:00:22', '10.0.0.2', '3'));
  await flush();
  await f.settled();
  assert.deepEqual(driver.take(), [
    'exec kw-node1 ip route del 10.244.2.0/24 dev flannel.1',
    'exec kw-node1 ip neigh del 10.244.2.0 dev flannel.1',
    'exec kw-node1 bridge fdb del 02:00:00:00:00:02 dev flannel.1',
    'script vxlan-peers.sh kw-node1 flannel.1 10.244.2.0/24 10.244.2.0 02:00:00:00:00:22 10.0.0.2',
  ]);

  informers.nodeObjects.delete(peer('node2', '', '', ''));
  await flush();
  await f.settled();
  assert.deepEqual(driver.take(), [
    'exec kw-node1 ip route del 10.244.2.0/24 dev flannel.1',
    'exec kw-node1 ip neigh del 10.244.2.0 dev flannel.1',
    'exec kw-node1 bridge fdb del 02:00:00:00:00:22 dev flannel.1',
  ]);
  assert.equal(f.peers.size, 0);
  stop();
});

test('a failed programming is retried after 200 ms, then 400 ms, until it lands', async () => {
  const { clock, informers, driver, f, logs, stop } = await setup();
  driver.failing = /vxlan-peers/;
  informers.nodeObjects.put(peer('node2', '10.244.2.0/24', '02:00:00:00:00:02', '10.0.0.2'));
  await flush();
  await f.settled();
  assert.equal(driver.take().length, 1);
  assert.match(logs.join('\n'), /flanneld node1 node2: vxlan-peers\.sh: injected failure/);
  assert.ok(f.peers.has('node2'), 'the miss responder knows the peer even before its entries are in');
  clock.advance(199);
  await flush();
  assert.deepEqual(driver.take(), []);
  clock.advance(1);
  await flush();
  await f.settled();
  assert.equal(driver.take().length, 1, 'first retry after 200 ms');
  driver.failing = undefined;
  clock.advance(400);
  await flush();
  await f.settled();
  assert.equal(driver.take().length, 1, 'second retry after 400 ms, which succeeds');
  clock.advance(60_000);
  await flush();
  assert.deepEqual(driver.take(), []);
  stop();
});
