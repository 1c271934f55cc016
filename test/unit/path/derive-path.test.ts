// The path derivation replayed on kernel answers recorded from a real two-node lab
// (bench/kernel-mini-lab.ts, prefix kw-tracer-, node1's nat table from node1-nat.rules): every
// `ip route get`, `ip -j -d` batch, `bridge -j fdb` and `iptables-save -t nat` it asks for is in
// the recording, and a question that is not fails the test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { L2Step, PathTrace } from '../../../common/path-model.js';
import { derivePath, type DeriveInput } from '../../../server/path/derive-path.js';
import { RecordedPathView, type RecordedKernel } from '../../../server/path/kernel-view.js';

const root = process.env.KUBEWIRE_ROOT ?? join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const P = 'kw-tracer-';

function recording(name: string): RecordedKernel {
  return JSON.parse(readFileSync(join(root, 'test', 'fixtures', 'path', `${name}.json`), 'utf8')) as RecordedKernel;
}

function input(ip: string, port?: number, extra: Partial<DeriveInput> = {}): DeriveInput {
  return {
    prefix: P,
    source: `${P}default_kubia-24hmb`,
    destination: { input: port ? `${ip}:${port}` : ip, ip, protocol: port ? 'tcp' : 'icmp', ...(port ? { port } : {}) },
    now: () => 0,
    ...extra,
  };
}

function vxlanOf(t: PathTrace): Extract<L2Step, { kind: 'vxlan-encap' }> | undefined {
  for (const h of t.hops) for (const s of h.arrival) if (s.kind === 'vxlan-encap') return s;
  return undefined;
}

test('pod on node1 → pod on node2: the article three hops (cni0 .1, flannel.1 .0, the pod)', async () => {
  const t = await derivePath(new RecordedPathView(recording('pod-to-pod')), input('192.168.129.10'));
  assert.equal(t.outcome, 'delivered', t.notes.join('; '));
  assert.deepEqual(
    t.hops.map((h) => [h.ttl, h.label, h.address, h.inDev, h.outDev ?? null, h.role]),
    [
      [1, 'node1', '192.168.128.1', 'cni0', 'flannel.1', 'router'],
      [2, 'node2', '192.168.129.0', 'flannel.1', 'cni0', 'router'],
      [3, 'default/kubia-7x9dq', '192.168.129.10', 'eth0', null, 'destination'],
    ],
  );
  assert.equal(t.source.address, '192.168.128.10');
  assert.equal(t.source.outDev, 'eth0');
  assert.match(t.source.route, /default via 192\.168\.128\.1 dev eth0/);
  assert.match(t.hops[0]!.route, /192\.168\.129\.0\/24 via 192\.168\.129\.0 dev flannel\.1 .*onlink/);
  // Into node1: through the pod's veth, and cni0 takes the frame up to IP (its own MAC).
  assert.deepEqual(
    t.hops[0]!.arrival.map((s) => s.kind),
    ['veth', 'bridge'],
  );
  const br = t.hops[0]!.arrival[1]!;
  assert.ok(br.kind === 'bridge' && br.port === 'local' && br.bridge === 'cni0');
});

test('the VXLAN segment: neighbour → VTEP MAC, FDB → outer destination, UDP 8472 VNI 1 over the underlay', async () => {
  const t = await derivePath(new RecordedPathView(recording('pod-to-pod')), input('192.168.129.10'));
  const v = vxlanOf(t);
  assert.ok(v, 'a vxlan-encap step');
  assert.equal(v.namespace, `${P}node1`);
  assert.equal(v.outerSrc, '10.231.209.116');
  assert.equal(v.outerDst, '10.231.209.117');
  assert.equal(v.udpPort, 8472);
  assert.equal(v.vni, 1);
  assert.equal(v.vtepMac, '02:42:c0:a8:81:00');
  assert.match(v.neighbour, /^192\.168\.129\.0 dev flannel\.1 lladdr 02:42:c0:a8:81:00 PERMANENT/);
  assert.match(v.fdb, /dst 10\.231\.209\.117/);
  const kinds = t.hops[1]!.arrival.map((s) =>
    s.kind === 'veth'
      ? `veth ${s.namespace.slice(P.length)}/${s.dev}→${s.peerNamespace.slice(P.length)}/${s.peerDev}`
      : s.kind === 'bridge'
        ? `bridge ${s.bridge}→${s.port}`
        : s.kind,
  );
  assert.deepEqual(kinds, [
    'vxlan-encap',
    'veth node1/eth0→underlay/node1',
    'bridge br0→node2',
    'veth underlay/node2→node2/eth0',
    'vxlan-decap',
  ]);
  // Capture points include the underlay wire with the outer addresses and port.
  const under = t.capturePoints.filter((p) => p.match.udpPort === 8472);
  assert.deepEqual(
    under.map((p) => `${p.namespace.slice(P.length)}/${p.dev}`),
    ['node1/eth0', 'underlay/node1'],
  );
  assert.deepEqual(under[0]!.match.hosts, ['10.231.209.116', '10.231.209.117']);
});

test('a service cluster IP: KUBE-SERVICES → KUBE-SVC → KUBE-SEP → DNAT with both endpoints at 1/2', async () => {
  const t = await derivePath(new RecordedPathView(recording('pod-to-service')), input('192.168.192.50', 80));
  assert.equal(t.outcome, 'delivered', t.notes.join('; '));
  const dnat = t.hops[0]!.nat[0]!;
  assert.equal(dnat.hook, 'PREROUTING');
  assert.equal(dnat.action, 'DNAT');
  assert.deepEqual(dnat.before, { src: '192.168.128.10', dst: '192.168.192.50', protocol: 'tcp', dport: 80 });
  assert.deepEqual(dnat.after, { src: '192.168.128.10', dst: '192.168.129.10', protocol: 'tcp', dport: 8080 });
  assert.deepEqual(dnat.candidates, [
    { endpoint: '192.168.129.10:8080', probability: 0.5, chain: 'KUBE-SEP-DHEI6HLVRKMGWFA5' },
    { endpoint: '192.168.128.10:8080', probability: 0.5, chain: 'KUBE-SEP-5A4LPBRVHCEID4EO' },
  ]);
  assert.deepEqual(
    dnat.rules.map((r) => r.split(' ')[1]),
    ['PREROUTING', 'KUBE-SERVICES', 'KUBE-SVC-L5EAUEZ74VZL5GSC', 'KUBE-SEP-DHEI6HLVRKMGWFA5'],
  );
  // Pod to pod inside the flannel network: flannel's RETURN keeps the source, no MASQUERADE.
  assert.equal(t.hops[0]!.nat.length, 1);
  assert.deepEqual(
    t.hops.map((h) => h.address),
    ['192.168.128.1', '192.168.129.0', '192.168.129.10'],
  );
  assert.equal(t.hops[2]!.packet.dport, 8080);
});

test('choosing another endpoint asks the kernel a new question; the replay refuses to guess its answer', async () => {
  const rec = recording('pod-to-service');
  // The second endpoint is the source pod itself (hairpin), a route lookup the recording never made.
  const t = await derivePath(
    new RecordedPathView(rec),
    input('192.168.192.50', 80, { chooseEndpoint: (c) => c.findIndex((x) => x.endpoint.startsWith('192.168.128.10')) }),
  ).catch((e: Error) => e);
  // The recording does not hold the kernel's answer for this route: the replay must say so, not guess.
  assert.ok(
    t instanceof Error &&
      /no answer for 'kw-tracer-node1 route get 192\.168\.128\.10 from 192\.168\.128\.10 iif cni0'/.test(t.message),
  );
});

test('a missing FDB entry on flannel.1 stops the trace with the L3 miss named', async () => {
  const rec = recording('pod-to-pod');
  const node1 = rec.snapshots[`${P}node1`]!;
  node1.fdb = node1.fdb.filter((f) => f.ifname !== 'flannel.1');
  const t = await derivePath(new RecordedPathView(rec), input('192.168.129.10'));
  assert.equal(t.outcome, 'unresolved');
  assert.equal(t.hops.length, 1);
  assert.ok(
    t.notes.some((n) => /no FDB entry for 02:42:c0:a8:81:00 on flannel\.1.*L3 miss/.test(n)),
    t.notes.join('; '),
  );
});

test('a missing neighbour entry on flannel.1 stops the trace with the L2 miss named', async () => {
  const rec = recording('pod-to-pod');
  const node1 = rec.snapshots[`${P}node1`]!;
  node1.neighbours = node1.neighbours.filter((n) => n.dev !== 'flannel.1');
  const t = await derivePath(new RecordedPathView(rec), input('192.168.129.10'));
  assert.equal(t.outcome, 'unresolved');
  assert.ok(
    t.notes.some((n) => /no neighbour entry for 192\.168\.129\.0 on flannel\.1.*L2 miss/.test(n)),
    t.notes.join('; '),
  );
});

test('without learned MACs the bridge port is found through the address behind it', async () => {
  const rec = recording('pod-to-pod');
  for (const s of Object.values(rec.snapshots)) {
    s.neighbours = s.neighbours.filter((n) => n.dev === 'flannel.1');
    s.fdb = s.fdb.filter((f) => f.state === 'permanent');
  }
  const t = await derivePath(new RecordedPathView(rec), input('192.168.129.10'));
  assert.equal(t.outcome, 'delivered', t.notes.join('; '));
  assert.deepEqual(
    t.hops.map((h) => h.address),
    ['192.168.128.1', '192.168.129.0', '192.168.129.10'],
  );
  const last = t.hops[2]!.arrival[0]!;
  assert.ok(
    last.kind === 'bridge' &&
      last.mac === null &&
      /no neighbour entry for 192\.168\.129\.10 yet \(ARP would ask/.test(last.decidedBy),
    JSON.stringify(last),
  );
});
