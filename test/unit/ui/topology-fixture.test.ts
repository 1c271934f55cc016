// Parses `ip -j -d -batch` and `bridge -j fdb` output recorded from a real two-node lab
// (the hand-made lab bench/kernel-mini-lab.ts builds, prefix kw-ui-) and checks the graph built from it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildTopologyGraph } from '../../../common/topology-graph.js';
import { projectTopology } from '../../../common/topology-projection.js';
import type { NamespaceSnapshot } from '../../../common/topology-model.js';
import {
  parseAddresses,
  parseFdb,
  parseLinks,
  parseNeighbours,
  parsePeers,
  parseRoutes,
  splitBatchOutput,
} from '../../../server/topology/ip-json.js';

const root = process.env.KUBEWIRE_ROOT ?? join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const dir = join(root, 'test', 'fixtures', 'topology', 'two-nodes');

function snapshots(): NamespaceSnapshot[] {
  const names = readdirSync(dir)
    .filter((f) => f.endsWith('.batch.txt'))
    .map((f) => f.replace('.batch.txt', ''));
  return names.map((name) => {
    const [links, addrs, routes, neigh, peers] = splitBatchOutput(
      readFileSync(join(dir, `${name}.batch.txt`), 'utf8'),
      5,
      name,
    );
    return {
      name,
      links: parseLinks(links!),
      addresses: parseAddresses(addrs!),
      routes: parseRoutes(routes!),
      neighbours: parseNeighbours(neigh!),
      fdb: parseFdb(JSON.parse(readFileSync(join(dir, `${name}.fdb.json`), 'utf8')) as unknown[]),
      peers: parsePeers(peers!),
    };
  });
}

test('parses links with kind, master, veth peer index and VXLAN details', () => {
  const node1 = snapshots().find((s) => s.name === 'kw-ui-node1')!;
  const flannel = node1.links.find((l) => l.ifname === 'flannel.1')!;
  assert.equal(flannel.kind, 'vxlan');
  assert.deepEqual(flannel.vxlan, { vni: 1, local: '10.231.209.116', port: 8472, dev: 'eth0' });
  assert.equal(flannel.mtu, 1450);
  const cni0 = node1.links.find((l) => l.ifname === 'cni0')!;
  assert.equal(cni0.kind, 'bridge');
  const veth = node1.links.find((l) => l.ifname.startsWith('veth'))!;
  assert.equal(veth.kind, 'veth');
  assert.equal(veth.master, 'cni0');
  assert.equal(typeof veth.linkIndex, 'number');
  assert.equal(typeof veth.linkNetnsid, 'number');
  assert.ok(
    node1.routes.some((r) => r.dst === '192.168.129.0/24' && r.gateway === '192.168.129.0' && r.dev === 'flannel.1'),
  );
  assert.ok(
    node1.neighbours.some(
      (n) => n.dst === '192.168.129.0' && n.lladdr === '02:42:c0:a8:81:00' && n.state.includes('PERMANENT'),
    ),
  );
  assert.ok(
    node1.fdb.some((f) => f.ifname === 'flannel.1' && f.mac === '02:42:c0:a8:81:00' && f.dst === '10.231.209.117'),
  );
});

test('ip -batch output with a missing or broken array is an error, not a silent empty graph', () => {
  assert.throws(() => splitBatchOutput('[]\n[]\n', 5, 'kw-x'), /expected 5 JSON arrays/);
  assert.throws(() => splitBatchOutput('[]\n{oops\n', 2, 'kw-x'), /output 2 is not JSON/);
});

test('the graph matches each veth pair across namespaces, bridge ports and the VXLAN tunnel', () => {
  const g = buildTopologyGraph('kw-ui-', snapshots());
  assert.deepEqual(g.namespaces.map((n) => `${n.kind}:${n.label}`).sort(), [
    'node:node1',
    'node:node2',
    'pod:default/kubia-24hmb',
    'pod:default/kubia-7x9dq',
    'underlay:underlay',
  ]);
  const podEth0 = g.devices.find((d) => d.id === 'kw-ui-default_kubia-24hmb/eth0')!;
  assert.deepEqual(podEth0.addresses, ['192.168.128.10/24']);
  assert.match(podEth0.mac, /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
  // The pod's eth0 pairs with a vethXXXXXXXX in node1 (not node2, whose ifindexes are alike).
  assert.match(podEth0.peer!, /^kw-ui-node1\/veth[0-9a-f]{8}$/);
  assert.equal(g.devices.find((d) => d.id === podEth0.peer)!.peer, podEth0.id);
  // node eth0 ↔ the underlay port named after the node.
  assert.equal(g.devices.find((d) => d.id === 'kw-ui-node2/eth0')!.peer, 'kw-ui-underlay/node2');
  const vethEdges = g.edges.filter((e) => e.kind === 'veth');
  assert.equal(vethEdges.length, 4);
  assert.ok(
    g.edges.some((e) => e.kind === 'bridge-port' && e.source === podEth0.peer && e.target === 'kw-ui-node1/cni0'),
  );
  const tunnels = g.edges.filter((e) => e.kind === 'vxlan');
  assert.deepEqual(
    tunnels.map((t) => [t.source, t.target]),
    [['kw-ui-node1/flannel.1', 'kw-ui-node2/flannel.1']],
  );
  assert.equal(
    g.devices.some((d) => d.ifname === 'lo'),
    false,
  );
});

test('the view draws pods as one shape with their IP, linked to cni0 by their veth', () => {
  const v = projectTopology(buildTopologyGraph('kw-ui-', snapshots()));
  const pod = v.nodes.find((n) => n.id === 'ns:kw-ui-default_kubia-24hmb')!;
  const podMac = buildTopologyGraph('kw-ui-', snapshots()).devices.find(
    (d) => d.id === 'kw-ui-default_kubia-24hmb/eth0',
  )!.mac;
  assert.equal(pod.label, `kubia-24hmb\n192.168.128.10\n${podMac}`);
  assert.equal(pod.ifname, 'eth0');
  assert.ok(
    v.nodes.some(
      (n) => n.id === 'dev:kw-ui-node1/cni0' && n.parent === 'ns:kw-ui-node1' && n.label === 'cni0\n192.168.128.1/24',
    ),
  );
  // Node-side veths are lines, not boxes.
  assert.equal(
    v.nodes.some((n) => n.ifname?.startsWith('veth')),
    false,
  );
  const podLink = v.edges.find((e) => e.source === pod.id)!;
  assert.equal(podLink.target, 'dev:kw-ui-node1/cni0');
  assert.match(podLink.label, /^veth[0-9a-f]{8}$/);
  assert.ok(
    v.edges.some(
      (e) => e.kind === 'veth' && e.source === 'dev:kw-ui-node1/eth0' && e.target === 'dev:kw-ui-underlay/br0',
    ),
  );
  assert.equal(v.edges.filter((e) => e.kind === 'vxlan').length, 1);
});
