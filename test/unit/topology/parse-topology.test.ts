// The topology validator: the article topology parses to the article's numbers, and every kind of
// bad input is rejected with the file, the field and the problem.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ValidationError } from '../../../common/errors.js';
import { parseTopology } from '../../../common/topology/parse-topology.js';
import { parsePodPins } from '../../../common/topology/pod-pins.js';
import { projectRoot } from '../../../runtime/project-root.js';

const BASE = `
name: small
nodeNetwork: 10.231.209.0/24
podNetwork: 192.168.128.0/18
serviceNetwork: 192.168.192.0/18
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
      - metadata: { name: kubia-a, annotations: { kubewire.io/ip: 192.168.128.10 } }
        spec: { containers: [{ name: kubia, image: kubia }] }
  - name: node5
    address: 10.231.209.117
    subnet: 192.168.132.0/24
`;

function rejects(text: string, where: RegExp, problem: RegExp) {
  assert.throws(
    () => parseTopology(text, 'lab.yaml'),
    (err: unknown) => {
      assert.ok(err instanceof ValidationError, `expected ValidationError, got ${String(err)}`);
      assert.match(err.where, where);
      assert.match(err.problem, problem);
      return true;
    },
  );
}

test('the article topology: 6 nodes, node5 is 192.168.132.0/24 at 10.231.209.117; kubia is a pinned Deployment + NodePort Service', () => {
  const file = join(projectRoot(), 'labs', 'topologies', 'article.yaml');
  const t = parseTopology(readFileSync(file, 'utf8'), file);
  assert.equal(t.prefix, 'kw-');
  assert.equal(t.podNetwork, '192.168.128.0/18');
  assert.equal(t.serviceNetwork, '192.168.192.0/18');
  assert.deepEqual(
    t.nodes.map((n) => n.subnet),
    ['128', '129', '130', '131', '132', '133'].map((x) => `192.168.${x}.0/24`),
  );
  const node5 = t.nodes.find((n) => n.subnet === '192.168.132.0/24')!;
  assert.equal(node5.address, '10.231.209.117');
  assert.equal(node5.vtepMAC, '86:4f:51:1e:bb:38');
  assert.equal(node5.eth0MAC, 'fa:16:3f:56:85:66');
  assert.equal(node5.cniBridgeMAC, '4e:a6:bb:c7:b9:d7');
  assert.equal(node5.bridge?.host, '172.17.0.2');
  // No static pod carries app=kubia: the Deployment's ReplicaSet is the kubia pods' one owner.
  assert.deepEqual(
    t.nodes.flatMap((n) => n.pods).filter((p) => (p.manifest as any).metadata.labels?.app === 'kubia'),
    [],
  );
  assert.deepEqual(t.kubeProxy, { mode: 'iptables', rules: 'article' });
  assert.deepEqual(
    t.objects!.map((o) => `${o.kind} ${o.namespace}/${o.name}`),
    ['Deployment default/kubia', 'Service default/kubia'],
  );
  const pins = parsePodPins((t.objects![0]!.manifest as any).metadata.annotations['kubewire.io/pinned-pods']);
  assert.deepEqual(
    pins.map((p) => p.ip),
    ['192.168.131.21', '192.168.131.22', '192.168.132.72', '192.168.132.73', '192.168.133.86', '192.168.133.87'],
  );
  assert.deepEqual(
    pins.find((p) => p.name === 'kubia-24hmb'),
    { name: 'kubia-24hmb', node: 'node5', ip: '192.168.132.73', mac: '3e:43:3e:1f:48:a1' },
  );
  const svc = t.objects![1]!.manifest as any;
  assert.equal(svc.spec.clusterIP, '192.168.199.234');
  assert.equal(svc.spec.ports[0].nodePort, 32681);
  assert.deepEqual(t.flannel, { vni: 1, port: 8472, mtu: 1450, mode: 'static' });
});

test('objects: pins must name topology nodes, fit the node subnet, and not clash with static pods', () => {
  const obj = (pins: string) => `${BASE}objects:
  - apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: kubia
      annotations:
        kubewire.io/pinned-pods: "${pins}"
    spec: { replicas: 1, selector: { matchLabels: { app: kubia } }, template: { metadata: { labels: { app: kubia } }, spec: { containers: [{ name: kubia, image: kubia }] } } }
`;
  const t = parseTopology(obj('kubia-x node5 192.168.132.9'), 'lab.yaml');
  assert.equal(t.objects!.length, 1);
  assert.deepEqual(t.kubeProxy, { mode: 'iptables', rules: 'current' });
  rejects(obj('kubia-x node9'), /objects\[0\]\.metadata\.annotations\["kubewire\.io\/pinned-pods"\]/, /no node node9/);
  rejects(obj('kubia-x node5 192.168.128.9'), /pinned-pods/, /outside node5's subnet/);
  rejects(obj('kubia-x node5 192.168.132.1'), /pinned-pods/, /reserved/);
  rejects(obj('kubia-x node1 192.168.128.10'), /pinned-pods/, /already used by static pod default\/kubia-a/);
  rejects(obj('kubia-a node1'), /pinned-pods/, /static pod of node1 has that name/);
  rejects(
    `${BASE}objects:\n  - { apiVersion: v1, kind: Secret, metadata: { name: s } }\n`,
    /objects\[0\]\.kind/,
    /kinds kubewire creates/,
  );
  rejects(
    BASE.replace('subnet: 192.168.132.0/24', 'subnet: 192.168.132.0/24\n    cniBridgeMAC: 4f:a6:bb:c7:b9:d7'),
    /nodes\[1\]\.cniBridgeMAC/,
    /unicast/,
  );
  rejects(
    BASE.replace('subnet: 192.168.132.0/24', 'subnet: 192.168.132.0/24\n    eth0MAC: FA:16'),
    /nodes\[1\]\.eth0MAC/,
    /MAC address/,
  );
  rejects(`${BASE}kubeProxy: { mode: ipvs }\n`, /kubeProxy\.mode/, /iptables, nftables/);
  rejects(`${BASE}kubeProxy: { mode: nftables, rules: article }\n`, /kubeProxy\.rules/, /one format/);
});

test('controlPlane.replicas: absent is 0 (in the cluster process), 1..3 processes each, anything else named', () => {
  assert.deepEqual(parseTopology(BASE, 'lab.yaml').controlPlane, { replicas: 0 });
  assert.deepEqual(parseTopology(`${BASE}controlPlane: { replicas: 2 }\n`, 'lab.yaml').controlPlane, { replicas: 2 });
  rejects(`${BASE}controlPlane: { replicas: 4 }\n`, /controlPlane\.replicas/, /outside 0\.\.3/);
  rejects(`${BASE}controlPlane: { replicas: two }\n`, /controlPlane\.replicas/, /integer/);
  rejects(`${BASE}controlPlane: { replica: 2 }\n`, /controlPlane\.replica\b/, /unknown field/);
});

test('controlPlane.store: sqlite by default; etcd members get the given or the highest free addresses; bad ones named', () => {
  const cp = (store: string) =>
    parseTopology(`${BASE}controlPlane: { replicas: 0, store: ${store} }\n`, 'lab.yaml').controlPlane;
  assert.deepEqual(cp('{ kind: sqlite }'), { replicas: 0 });
  assert.deepEqual(cp('{ kind: etcd }')!.store, {
    kind: 'etcd',
    members: [
      { name: 'etcd0', address: '10.231.209.254' },
      { name: 'etcd1', address: '10.231.209.253' },
      { name: 'etcd2', address: '10.231.209.252' },
    ],
  });
  assert.deepEqual(cp('{ kind: etcd, members: 1, addresses: [10.231.209.11] }')!.store!.members, [
    { name: 'etcd0', address: '10.231.209.11' },
  ]);
  rejects(`${BASE}controlPlane: { store: { kind: consul } }\n`, /controlPlane\.store\.kind/, /"sqlite".*"etcd"/);
  rejects(`${BASE}controlPlane: { store: { kind: etcd, members: 2 } }\n`, /controlPlane\.store\.members/, /odd count/);
  rejects(
    `${BASE}controlPlane: { store: { kind: etcd, members: 7 } }\n`,
    /controlPlane\.store\.members/,
    /outside 1\.\.5/,
  );
  rejects(
    `${BASE}controlPlane: { store: { kind: sqlite, members: 3 } }\n`,
    /controlPlane\.store\.members/,
    /only an etcd store/,
  );
  rejects(
    `${BASE}controlPlane: { store: { kind: etcd, members: 1, addresses: [10.231.209.113] } }\n`,
    /controlPlane\.store\.addresses\[0\]/,
    /already used by nodes\[0\]\.address/,
  );
  rejects(
    `${BASE}controlPlane: { store: { kind: etcd, members: 1, addresses: [10.9.9.9] } }\n`,
    /controlPlane\.store\.addresses\[0\]/,
    /outside nodeNetwork/,
  );
  rejects(
    `${BASE}controlPlane: { store: { kind: etcd, members: 3, addresses: [10.231.209.11] } }\n`,
    /controlPlane\.store\.addresses/,
    /1 addresses for 3 members/,
  );
  rejects(
    `${BASE}controlPlane: { store: { kind: etcd, members: 3, addresses: [10.231.209.11, 10.231.209.11, 10.231.209.12] } }\n`,
    /controlPlane\.store\.addresses\[1\]/,
    /already used by/,
  );
  rejects(`${BASE}controlPlane: { store: { kind: etcd, size: 3 } }\n`, /controlPlane\.store\.size/, /unknown field/);
});

test('a small topology parses with defaults, and --prefix overrides the file', () => {
  const t = parseTopology(BASE, 'lab.yaml', { prefix: 'kw-t0a1b2c-' });
  assert.equal(t.prefix, 'kw-t0a1b2c-');
  assert.equal(t.nodes[0]!.pods[0]!.namespace, 'default');
  assert.equal(t.nodes[0]!.pods[0]!.ip, '192.168.128.10');
  assert.deepEqual(t.flannel, { vni: 1, port: 8472, mtu: 1450, mode: 'static' });
});

test('overlapping node subnets are rejected', () => {
  rejects(
    BASE.replace('subnet: 192.168.132.0/24', 'subnet: 192.168.128.0/25'),
    /nodes\[1\]\.subnet/,
    /overlaps the subnet of nodes\[0\] \(node1\)/,
  );
});

test('a pod IP outside its node subnet is rejected', () => {
  rejects(
    BASE.replace('kubewire.io/ip: 192.168.128.10', 'kubewire.io/ip: 192.168.132.10'),
    /nodes\[0\]\.pods\[0\]\.metadata\.annotations\["kubewire\.io\/ip"\]/,
    /outside its node's subnet 192\.168\.128\.0\/24/,
  );
  rejects(
    BASE.replace('kubewire.io/ip: 192.168.128.10', 'kubewire.io/ip: 192.168.128.1'),
    /kubewire\.io\/ip/,
    /reserved/,
  );
});

test('names with ;, $(…), spaces, upper case, reserved words or longer than 15 characters are rejected', () => {
  for (const bad of ['"node1;reboot"', '"$(reboot)"', '"node 1"', 'Node1', '"-node"']) {
    rejects(BASE.replace('name: node1', `name: ${bad}`), /lab\.yaml: nodes\[0\]\.name/, /not a valid node name/);
  }
  rejects(BASE.replace('name: node1', 'name: gateway'), /nodes\[0\]\.name/, /reserved/);
  rejects(BASE.replace('name: node1', 'name: a-very-long-node-name'), /nodes\[0\]\.name/, /longer than 15 characters/);
  rejects(
    BASE.replace('name: kubia-a', 'name: "kubia;rm -rf"'),
    /nodes\[0\]\.pods\[0\]\.metadata\.name/,
    /not a valid Kubernetes name/,
  );
  rejects(BASE.replace('name: small', 'name: "lab$(id)"'), /lab\.yaml: name/, /lowercase/);
  rejects(
    BASE.replace('name: node5\n', 'name: node5\n    bridge: { name: "docker0;x", address: 172.17.0.1/16 }\n'),
    /nodes\[1\]\.bridge\.name/,
    /interface name/,
  );
});

test('an unknown node (a pod whose node is not declared) and unknown fields are rejected', () => {
  rejects(BASE.replace('  - name: node5\n', '  - nmae: node5\n'), /nodes\[1\]\.nmae/, /unknown field/);
  rejects(BASE.replace('nodes:', 'nodez: []\nnodes:'), /nodez/, /unknown field/);
});

test('duplicates: node names, node addresses, pod IPs', () => {
  rejects(BASE.replace('name: node5', 'name: node1'), /nodes\[1\]\.name/, /duplicate node name/);
  rejects(BASE.replace('address: 10.231.209.117', 'address: 10.231.209.113'), /nodes\[1\]\.address/, /already used/);
  rejects(
    BASE.replace('address: 10.231.209.117', 'address: 10.231.209.1'),
    /nodes\[1\]\.address/,
    /already used by gateway/,
  );
});

test('networks: malformed CIDRs, host bits, overlaps, addresses outside', () => {
  rejects(BASE.replace('podNetwork: 192.168.128.0/18', 'podNetwork: 192.168.128.0/33'), /podNetwork/, /not a CIDR/);
  rejects(BASE.replace('podNetwork: 192.168.128.0/18', 'podNetwork: 192.168.128.1/18'), /podNetwork/, /host bits/);
  rejects(
    BASE.replace('serviceNetwork: 192.168.192.0/18', 'serviceNetwork: 192.168.160.0/19'),
    /serviceNetwork/,
    /overlaps podNetwork/,
  );
  rejects(BASE.replace('address: 10.231.209.117', 'address: 10.9.9.9'), /nodes\[1\]\.address/, /outside nodeNetwork/);
  rejects(
    BASE.replace('subnet: 192.168.132.0/24', 'subnet: 10.1.0.0/24'),
    /nodes\[1\]\.subnet/,
    /not inside podNetwork/,
  );
});

test('malformed YAML is reported with line and column', () => {
  rejects(BASE.replace('  - name: node5', '  - name: [node5'), /^lab\.yaml:\d+:\d+$/, /malformed YAML/);
  rejects('name: a\nname: b\n', /^lab\.yaml:\d+:\d+$/, /malformed YAML/);
});

test('images: unknown image without a command is rejected, with a command it is accepted', () => {
  rejects(BASE.replace('image: kubia }', 'image: nginx }'), /containers\[0\]\.image/, /unknown image "nginx"/);
  const t = parseTopology(BASE.replace('image: kubia }', 'image: busybox, command: [sleep, "60"] }'), 'lab.yaml');
  assert.deepEqual(t.nodes[0]!.pods[0]!.containers[0]!.command, ['sleep', '60']);
});

test('a prefix that is present is validated as written: "" or a bad one is an error naming the field, never the default kw-', () => {
  rejects(BASE.replace('name: small', 'name: small\nprefix: ""'), /prefix/, /must be "kw-"/);
  rejects(BASE.replace('name: small', 'name: small\nprefix: kw-x'), /prefix/, /must be "kw-"/);
  rejects(BASE.replace('name: small', 'name: small\nprefix: 7'), /prefix/, /./);
  assert.equal(
    parseTopology(BASE.replace('name: small', 'name: small\nprefix: kw-lab2-'), 'lab.yaml').prefix,
    'kw-lab2-',
  );
});

test('a multicast, broadcast or zero VTEP MAC is rejected before anything is built', () => {
  const withMac = (mac: string) =>
    BASE.replace('subnet: 192.168.132.0/24', `subnet: 192.168.132.0/24\n    vtepMAC: "${mac}"`);
  rejects(withMac('01:00:5e:00:00:01'), /nodes\[1\]\.vtepMAC/, /multicast or broadcast/);
  rejects(withMac('ff:ff:ff:ff:ff:ff'), /nodes\[1\]\.vtepMAC/, /multicast or broadcast/);
  rejects(withMac('00:00:00:00:00:00'), /nodes\[1\]\.vtepMAC/, /not a usable/);
  assert.equal(parseTopology(withMac('26:12:3f:ba:e9:f5'), 'lab.yaml').nodes[1]!.vtepMAC, '26:12:3f:ba:e9:f5');
});

const pods = (n: number, prefix = 'p') =>
  Array.from(
    { length: n },
    (_, i) => `      - metadata: { name: ${prefix}${i} }\n        spec: { containers: [{ name: c, image: tools }] }`,
  ).join('\n');

test('pods that do not fit their node subnet, and labs over the node and pod limits, are rejected', () => {
  const small = BASE.replace('subnet: 192.168.132.0/24', 'subnet: 192.168.132.0/28');
  rejects(
    `${small}    pods:\n${pods(14)}\n`,
    /nodes\[1\]\.pods/,
    /14 pods do not fit 192\.168\.132\.0\/28: it has room for 13/,
  );
  assert.equal(parseTopology(`${small}    pods:\n${pods(13)}\n`, 'lab.yaml').nodes[1]!.pods.length, 13);
  rejects(
    `${BASE}    pods:\n${pods(300)}\n`,
    /nodes\[1\]\.pods/,
    /300 pods do not fit 192\.168\.132\.0\/24: it has room for 253/,
  );
  const manyNodes = Array.from(
    { length: 65 },
    (_, i) =>
      `  - { name: n${i}, address: 10.231.209.${10 + i}, subnet: 192.168.${128 + (i >> 2)}.${(i & 3) * 64}/26 }`,
  ).join('\n');
  rejects(BASE.replace(/nodes:[\s\S]*$/, `nodes:\n${manyNodes}\n`), /nodes/, /65 nodes: a lab has at most 64/);
  const bigNodes = [0, 1, 2, 3, 4]
    .map(
      (i) =>
        `  - name: n${i}\n    address: 10.231.209.${10 + i}\n    subnet: 192.168.${128 + i}.0/24\n    pods:\n${pods(201, `n${i}p`)}`,
    )
    .join('\n');
  rejects(BASE.replace(/nodes:[\s\S]*$/, `nodes:\n${bigNodes}\n`), /nodes/, /1005 pods: a lab has at most 1000/);
});
