// flanneld's miss mode on a real two-node lab: flannel.1 starts with no neighbour or FDB entry for
// the other node; the first packet makes the kernel ask (L3 miss, then L2 miss), flanneld answers
// from the Node annotations, and the ping goes through. A node leaving removes its route.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ClusterDaemon } from '../../../cluster/agents/cluster-daemon.js';
import { parseMissLine } from '../../../cluster/agents/flannel/miss-responder.js';
import { openImageService } from '../../../runtime/images/local-image-service.js';
import { imageStoreDir } from '../../../runtime/images/oci-store.js';
import { nodeInitBinary, pauseBinary, scriptsDir } from '../../../runtime/project-root.js';
import { eventually, TestLab } from '../runtime/harness.js';
import { labTopology, NODE1, NODE2, pinnedPod, toolsPod } from '../../helpers/lab-topology.js';

const TOPOLOGY = labTopology(
  'agents-miss',
  [
    { ...NODE1, vtepMAC: '26:12:3f:ba:e9:f5', pods: [toolsPod('192.168.128.100')] },
    {
      ...NODE2,
      vtepMAC: '7a:52:54:58:5f:4c',
      pods: [pinnedPod('kubia', '192.168.129.14', { name: 'kubia', image: 'kubia' })],
    },
  ],
  { hosts: [], extra: { flannel: { mode: 'miss' } } },
);

let lab: TestLab;
let daemon: ClusterDaemon;
const logs: string[] = [];

before(async () => {
  lab = new TestLab(TOPOLOGY);
  try {
    await lab.runtime.up(lab.topo);
    daemon = new ClusterDaemon({
      paths: lab.paths,
      driver: lab.driver,
      images: await openImageService({ dir: imageStoreDir() }),
      pauseBinary: pauseBinary(),
      nodeInitBinary: nodeInitBinary(),
      scriptsDir: scriptsDir(),
      apiserverPort: 0,
      log: (l) => logs.push(l),
    });
    await daemon.start();
  } catch (err) {
    await daemon?.stop().catch(() => undefined);
    await lab.cleanup();
    throw err;
  }
});

after(async () => {
  try {
    await daemon?.stop();
  } finally {
    await lab.cleanup();
  }
});

test('ip monitor lines are read as L3 and L2 misses of flannel.1 only', () => {
  assert.deepEqual(parseMissLine('miss 192.168.129.0 dev flannel.1 INCOMPLETE ', 'flannel.1'), {
    kind: 'l3',
    ip: '192.168.129.0',
  });
  assert.deepEqual(parseMissLine('miss dev flannel.1 lladdr 7a:52:54:58:5f:4c STALE ', 'flannel.1'), {
    kind: 'l2',
    mac: '7a:52:54:58:5f:4c',
  });
  assert.equal(parseMissLine('miss fe80::1 dev flannel.1 STALE ', 'flannel.1'), undefined);
  assert.equal(parseMissLine('miss 10.0.0.1 dev eth0 INCOMPLETE ', 'flannel.1'), undefined);
});

test('no entries up front; the first ping is answered through L3 and L2 misses', async () => {
  const node1 = lab.names.node('node1');
  await eventually(async () => {
    const r = await lab.exec(node1, ['ip', 'route', 'show', '192.168.129.0/24']);
    return r.stdout.includes('via 192.168.129.0 dev flannel.1 onlink') ? true : undefined;
  }, 10_000);
  const neigh0 = await lab.exec(node1, ['ip', 'neigh', 'show', 'dev', 'flannel.1']);
  assert.doesNotMatch(neigh0.stdout, /7a:52:54:58:5f:4c/);
  const fdb0 = await lab.exec(node1, ['bridge', 'fdb', 'show', 'dev', 'flannel.1']);
  assert.doesNotMatch(fdb0.stdout, /7a:52:54:58:5f:4c/);
  const ok = await eventually(async () => {
    const r = await lab.exec(lab.pod('tools'), ['ping', '-c', '1', '-W', '1', '192.168.129.14']);
    return r.exitCode === 0 ? true : undefined;
  }, 15_000);
  assert.equal(ok, true);
  const responder = daemon.agents.get('node1')!.flanneld.missResponder;
  assert.ok(responder.answered.l3 >= 1 && responder.answered.l2 >= 1, JSON.stringify(responder.answered));
  const fdb = await lab.exec(node1, ['bridge', 'fdb', 'show', 'dev', 'flannel.1']);
  assert.match(fdb.stdout, /7a:52:54:58:5f:4c dst 10\.231\.209\.114/);
});

test('a node leaving: the other node drops its route', async () => {
  await daemon.client.nodes.delete('node2');
  // A bounded wait, not a timing claim (bench measures how fast): the Node's deletion event does it.
  await eventually(async () => {
    const r = await lab.exec(lab.names.node('node1'), ['ip', 'route', 'show', '192.168.129.0/24']);
    return r.stdout.trim() === '' ? true : undefined;
  }, 30_000);
});
