// kube-proxy's nftables mode on a real two-node lab (own prefix and state folder), with the
// topology's `objects`: a Deployment whose two pods are pinned (name, node, IP, MAC) and a NodePort
// Service. Real traffic goes through table ip kube-proxy (cluster IP from a pod, NodePort from the
// emulated Internet); no KUBE-* iptables chain exists; a deleted pinned pod comes back the same.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../../../common/api-types.js';
import { ClusterDaemon } from '../../../cluster/agents/cluster-daemon.js';
import { openImageService } from '../../../runtime/images/local-image-service.js';
import { imageStoreDir } from '../../../runtime/images/oci-store.js';
import { nodeInitBinary, pauseBinary, scriptsDir } from '../../../runtime/project-root.js';
import { eventually, TestLab } from '../runtime/harness.js';

const TOPOLOGY = `
name: nft-two
nodeNetwork: 10.231.209.0/24
podNetwork: 192.168.128.0/18
serviceNetwork: 192.168.192.0/18
kubeProxy: { mode: nftables }
gateway: { address: 10.231.209.1, uplink: 198.51.100.1/24 }
internet:
  router: 198.51.100.2/24
  dns: 198.51.100.53
  hosts: [{ name: google.com, address: 203.0.113.10 }]
nodes:
  - name: node1
    address: 10.231.209.113
    subnet: 192.168.128.0/24
    pods:
      - metadata: { name: tools, annotations: { kubewire.io/ip: 192.168.128.100 } }
        spec: { containers: [{ name: netshoot, image: netshoot }] }
  - name: node2
    address: 10.231.209.114
    subnet: 192.168.129.0/24
objects:
  - apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: kubia
      annotations:
        kubewire.io/pinned-pods: |
          kubia-aaaaa node1 192.168.128.21 3e:43:3e:1f:48:a1
          kubia-bbbbb node2 192.168.129.22
    spec:
      replicas: 2
      selector: { matchLabels: { app: kubia } }
      template:
        metadata: { labels: { app: kubia } }
        spec: { containers: [{ name: kubia, image: kubia, ports: [{ containerPort: 8080 }] }] }
  - apiVersion: v1
    kind: Service
    metadata: { name: kubia }
    spec:
      type: NodePort
      clusterIP: 192.168.199.234
      selector: { app: kubia }
      ports: [{ port: 8080, targetPort: 8080, nodePort: 32681 }]
`;

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
    await teardown();
    throw err;
  }
});

async function teardown(): Promise<void> {
  try {
    await daemon?.stop();
  } finally {
    await lab.cleanup();
  }
}

after(async () => {
  if (process.exitCode) console.error(logs.slice(-30).join('\n'));
  await teardown();
});

const ready = (p: Pod) =>
  p.status?.phase === 'Running' && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
const kubias = async () => (await daemon.client.pods.list({ namespace: 'default', labelSelector: 'app=kubia' })).items;

test('the pinned pods: the ReplicaSet made them with the pinned names, nodes, IPs and MAC', async () => {
  const pods = await eventually(async () => {
    const l = await kubias();
    return l.length === 2 && l.every(ready) ? l : undefined;
  }, 60_000);
  const by = new Map(pods.map((p) => [p.metadata.name, p]));
  assert.deepEqual([...by.keys()].sort(), ['kubia-aaaaa', 'kubia-bbbbb']);
  assert.equal(by.get('kubia-aaaaa')!.spec.nodeName, 'node1');
  assert.equal(by.get('kubia-aaaaa')!.status?.podIP, '192.168.128.21');
  assert.equal(by.get('kubia-bbbbb')!.spec.nodeName, 'node2');
  assert.equal(by.get('kubia-bbbbb')!.status?.podIP, '192.168.129.22');
  for (const p of pods) assert.equal(p.metadata.ownerReferences?.[0]?.kind, 'ReplicaSet');
  const link = await lab.exec(lab.pod('kubia-aaaaa'), ['ip', 'link', 'show', 'eth0']);
  assert.match(link.stdout, /link\/ether 3e:43:3e:1f:48:a1 /);
});

test('nftables: cluster IP from a pod and NodePort from the Internet reach both pods through table ip kube-proxy', async () => {
  const seen = await eventually(async () => {
    const r = await lab.exec(lab.pod('tools'), [
      'bash',
      '-c',
      'for i in $(seq 30); do curl -s --max-time 2 192.168.199.234:8080; echo; done',
    ]);
    const hit = new Set([...r.stdout.matchAll(/You've hit (\S+)/g)].map((m) => m[1]!));
    return hit.size === 2 ? hit : undefined;
  }, 20_000);
  assert.deepEqual([...seen].sort(), ['kubia-aaaaa', 'kubia-bbbbb']);
  const np = await lab.exec(lab.names.internet, ['curl', '-s', '--max-time', '3', 'http://10.231.209.114:32681']);
  assert.match(np.stdout, /You've hit kubia-/);
  const table = await lab.exec(lab.names.node('node1'), ['nft', 'list', 'table', 'ip', 'kube-proxy']);
  assert.match(table.stdout, /192\.168\.199\.234 \. tcp \. 8080 : goto service-\w{8}-default\/kubia\/tcp\/[ ,\n]/);
  assert.match(table.stdout, /numgen random mod 2 vmap/);
  const nat = await lab.exec(lab.names.node('node1'), ['iptables', '-t', 'nat', '-S']);
  assert.doesNotMatch(nat.stdout, /KUBE-SERVICES/);
  const ct = await lab.exec(lab.names.node('node1'), ['conntrack', '-L', '-p', 'tcp', '-d', '192.168.199.234']);
  assert.match(
    ct.stdout,
    /src=192\.168\.128\.100 dst=192\.168\.199\.234 .*dport=8080 .*src=192\.168\.12[89]\.2[12] dst=192\.168\.128\.100 sport=8080/,
  );
});

test('a deleted pinned pod comes back with the same name, node and IP; scaling past the pins gives ordinary names', async () => {
  const old = (await daemon.client.pods.get('kubia-bbbbb', 'default')) as Pod;
  await daemon.client.pods.delete('kubia-bbbbb', 'default');
  const back = await eventually(async () => {
    const p = (await kubias()).find((x) => x.metadata.name === 'kubia-bbbbb');
    return p && p.metadata.uid !== old.metadata.uid && ready(p) ? p : undefined;
  }, 60_000);
  assert.equal(back.spec.nodeName, 'node2');
  assert.equal(back.status?.podIP, '192.168.129.22');
  assert.equal((await kubias()).length, 2, 'no stranger was made while the old pod terminated');
  await daemon.client.deployments.patch('kubia', { spec: { replicas: 3 } }, 'merge', { namespace: 'default' });
  const third = await eventually(
    async () => (await kubias()).find((p) => !['kubia-aaaaa', 'kubia-bbbbb'].includes(p.metadata.name!)),
    30_000,
  );
  assert.match(third.metadata.name!, /^kubia-[a-z0-9]+-[a-z0-9]{5}$/);
});
