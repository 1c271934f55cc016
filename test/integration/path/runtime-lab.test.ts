// The path tracer on a lab the runtime builds (two nodes of the article: node1 and node5, the
// gateway and the emulated Internet), with kube-proxy's rules rendered by the real Proxier on node5:
// the article's three hops, curl google.com vs ping google.com, a service cluster IP and a NodePort.
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { HostDriverIptablesRestorer } from '../../../cluster/proxy/netns-iptables-restorer.js';
import { Proxier } from '../../../cluster/proxy/proxier.js';
import type { L2Step, PathTrace } from '../../../common/path-model.js';
import { CaptureStore } from '../../../server/path/capture-store.js';
import { PathService } from '../../../server/path/path-service.js';
import { LabNamespaces } from '../../../server/lab-namespaces.js';
import { runCommand } from '../../../server/run-command.js';
import { endpointSlice, kubiaService, kubiaSlice, service } from '../../support/proxy-objects.js';
import { eventually, TestLab, TWO_NODES } from '../runtime/harness.js';

let lab: TestLab;
let proxier: Proxier;
let tracer: PathService;
let captures: CaptureStore;
const KUBIA_A = '192.168.128.10'; // on node1
const KUBIA_B = '192.168.132.73'; // on node5

before(async () => {
  lab = new TestLab(TWO_NODES);
  try {
    await lab.upWithPods();
    // The cluster's own kube-proxy on node5 rewrites the whole nat/filter tables on every sync; wait
    // until it has rendered cluster DNS's endpoint (its last change after startup), or its next sync
    // would replace the rules this test's Proxier writes below (kubia's service would then vanish).
    await eventually(async () => {
      const r = await lab.exec(lab.names.node('node5'), ['iptables-save', '-t', 'nat']);
      return /kube-system\/kube-dns:dns[^\n]* -j DNAT/.test(r.stdout) ? true : undefined;
    }, 120_000);
    // Then until its rules stop changing: pods turning Ready still change EndpointSlices, and each
    // change makes it write the nat table again (5 s unchanged, 90 s at most).
    let last = '';
    let sameSince = performance.now();
    await eventually(async () => {
      const r = await lab.exec(lab.names.node('node5'), ['iptables-save', '-t', 'nat']);
      const rules = r.stdout.replace(/^#.*$/gm, '').replace(/\[\d+:\d+\]/g, '');
      if (rules !== last) [last, sameSince] = [rules, performance.now()];
      return performance.now() - sameSince >= 5000 ? true : undefined;
    }, 90_000);
    proxier = new Proxier({
      netns: lab.names.node('node5'),
      restorer: new HostDriverIptablesRestorer(lab.driver),
      clock: { now: () => performance.now() },
      config: { nodeName: 'node5', clusterCIDR: '192.168.128.0/18' },
    });
    proxier.onServiceUpsert(kubiaService());
    proxier.onEndpointSliceUpsert(kubiaSlice([KUBIA_A, KUBIA_B]));
    proxier.onServiceUpsert(service({ name: 'nothing', clusterIP: '192.168.199.235', port: 80 }));
    // A UDP service whose one endpoint is the emulated Internet's resolver (the lab has no cluster DNS yet).
    proxier.onServiceUpsert(
      service({ namespace: 'kube-system', name: 'dns', clusterIP: '192.168.192.10', port: 53, protocol: 'UDP' }),
    );
    proxier.onEndpointSliceUpsert(
      endpointSlice({
        namespace: 'kube-system',
        service: 'dns',
        port: 53,
        protocol: 'UDP',
        endpoints: ['198.51.100.53'],
      }),
    );
    await proxier.sync();
  } catch (err) {
    await lab.cleanup();
    throw err;
  }
  const namespaces = new LabNamespaces(lab.prefix, { netnsDir: '/run/netns', procDir: '/proc', run: runCommand });
  captures = new CaptureStore({ now: () => performance.now(), keep: 2, log: () => {} });
  tracer = new PathService({ namespaces, run: runCommand, captures, now: () => performance.now() });
});

// The cluster's kube-proxy still writes node5's tables on any Service or EndpointSlice change,
// which drops this test's chains: each test starts from this Proxier's full table again.
beforeEach(async () => {
  proxier.forceFullSync();
  await proxier.sync();
});

after(async () => {
  await captures?.dispose();
  await lab?.cleanup();
});

const hops = (t: PathTrace): [number, string, string, boolean | null][] =>
  t.hops.map((h) => [h.ttl, h.label, h.address, h.confirmed]);
const encap = (t: PathTrace): Extract<L2Step, { kind: 'vxlan-encap' }> | undefined =>
  t.hops.flatMap((h) => h.arrival).find((s): s is Extract<L2Step, { kind: 'vxlan-encap' }> => s.kind === 'vxlan-encap');

test('tools on node5 → kubia-a on node1: 192.168.132.1, 192.168.128.0, 192.168.128.10, as the article shows', async (t) => {
  const trace = await tracer.trace({ source: lab.pod('tools'), destination: KUBIA_A, probe: true });
  assert.equal(trace.outcome, 'delivered', trace.notes.join('; '));
  assert.deepEqual(hops(trace), [
    [1, 'node5', '192.168.132.1', true],
    [2, 'node1', '192.168.128.0', true],
    [3, 'default/kubia-a', KUBIA_A, true],
  ]);
  const v = encap(trace)!;
  assert.deepEqual([v.outerSrc, v.outerDst, v.udpPort, v.vni], ['10.231.209.117', '10.231.209.113', 8472, 1]);
  t.diagnostic(`derive ${trace.timing.deriveMs} ms, ping + traceroute ${trace.timing.probeMs} ms`);
});

test('curl google.com works and ping google.com does not: the gateway masquerades TCP/UDP only', async () => {
  const tcp = await tracer.trace({ source: lab.pod('tools'), destination: 'google.com:80', probe: true });
  assert.equal(tcp.destination.ip, '203.0.113.10');
  // The pod asks cluster DNS (the kubelet writes its resolv.conf), which forwards to the Internet's.
  assert.match(tcp.destination.resolvedBy ?? '', /^dig @192\.168\.192\.10 google\.com A \(inside /);
  assert.deepEqual(
    tcp.hops.map((h) => [h.label, h.address]),
    [
      ['node5', '192.168.132.1'],
      ['gateway', '10.231.209.1'],
      ['internet', '203.0.113.10'],
    ],
  );
  const masq = tcp.hops.flatMap((h) => h.nat).filter((n) => n.action === 'MASQUERADE');
  assert.deepEqual(
    masq.map((n) => [n.namespace.slice(lab.prefix.length), n.after.src]),
    [
      ['node5', '10.231.209.117'],
      ['gateway', '198.51.100.1'],
    ],
  );
  assert.equal(tcp.probe!.reached, true, tcp.probe!.summary);
  assert.deepEqual(tcp.notes, []);

  const icmp = await tracer.trace({ source: lab.pod('tools'), destination: 'google.com', probe: true });
  assert.deepEqual(
    icmp.hops.flatMap((h) => h.nat).map((n) => `${n.namespace.slice(lab.prefix.length)} ${n.action}`),
    ['node5 MASQUERADE'],
  );
  assert.ok(
    icmp.notes.some((n) => /reply from internet to 10\.231\.209\.117 has no route back.*NATs TCP and UDP only/.test(n)),
    icmp.notes.join('; '),
  );
  assert.equal(icmp.probe!.reached, false);
});

test("a service cluster IP through kube-proxy's rules: both endpoints at 1/2, conntrack names the one taken", async (t) => {
  const trace = await tracer.trace({ source: lab.pod('tools'), destination: '192.168.199.234:8080', probe: true });
  assert.equal(trace.outcome, 'delivered', trace.notes.join('; '));
  const dnat = trace.hops[0]!.nat.find((n) => n.action === 'DNAT')!;
  assert.deepEqual(dnat.candidates!.map((c) => [c.endpoint, c.probability]).sort(), [
    [`${KUBIA_A}:8080`, 0.5],
    [`${KUBIA_B}:8080`, 0.5],
  ]);
  assert.ok(
    dnat.rules.some((r) => r.startsWith('-A KUBE-SERVICES -d 192.168.199.234/32')),
    dnat.rules.join('\n'),
  );
  assert.match(trace.probe!.summary, /HTTP 200/);
  assert.match(dnat.chosenBy ?? '', /^conntrack in node5: /);
  const endpoint = dnat.after.dst;
  // Across the tunnel for kubia-a (3 hops), over cni0 for kubia-b (2 hops).
  assert.deepEqual(
    trace.hops.map((h) => h.address),
    endpoint === KUBIA_A ? ['192.168.132.1', '192.168.128.0', KUBIA_A] : ['192.168.132.1', KUBIA_B],
  );
  t.diagnostic(
    `service via ${endpoint}: derive ${trace.timing.deriveMs} ms, curl + conntrack + re-derive + traceroute ${trace.timing.probeMs} ms`,
  );
});

test('a NodePort on node5 from node1: KUBE-NODEPORTS → KUBE-EXT → DNAT, masqueraded to node5 (marked 0x4000)', async () => {
  const trace = await tracer.trace({
    source: lab.names.node('node1'),
    destination: '10.231.209.117:32681',
    probe: false,
  });
  assert.equal(trace.outcome, 'delivered', trace.notes.join('; '));
  assert.equal(trace.hops[0]!.label, 'node5');
  const nat = trace.hops[0]!.nat;
  const dnat = nat.find((n) => n.action === 'DNAT')!;
  assert.ok(
    dnat.rules.some((r) => r.includes('-A KUBE-NODEPORTS') && r.includes('--dport 32681')),
    dnat.rules.join('\n'),
  );
  assert.ok([KUBIA_A, KUBIA_B].includes(dnat.after.dst));
  const masq = nat.find((n) => n.action === 'MASQUERADE');
  assert.ok(masq && masq.rules.some((r) => r.includes('KUBE-POSTROUTING')), JSON.stringify(nat));
});

test('a UDP service (IP:port/udp): DNAT to the resolver, MASQUERADE at node5 and at the gateway, dig answers', async () => {
  const trace = await tracer.trace({ source: lab.pod('tools'), destination: '192.168.192.10:53/udp', probe: true });
  assert.equal(trace.destination.protocol, 'udp');
  assert.equal(trace.outcome, 'delivered', trace.notes.join('; '));
  const nat = trace.hops
    .flatMap((h) => h.nat)
    .map((n) => `${n.namespace.slice(lab.prefix.length)} ${n.action} ${n.after.src}→${n.after.dst}:${n.after.dport}`);
  assert.deepEqual(nat, [
    'node5 DNAT 192.168.132.150→198.51.100.53:53',
    'node5 MASQUERADE 10.231.209.117→198.51.100.53:53',
    'gateway MASQUERADE 198.51.100.1→198.51.100.53:53',
  ]);
  assert.deepEqual(
    trace.hops.map((h) => h.label),
    ['node5', 'gateway', 'internet'],
  );
  assert.match(trace.probe!.summary, /^dig: answered/);
  assert.ok(
    trace.probe!.commands.some((c) => c.join(' ') === 'traceroute -n -q 1 -w 1 -m 5 -U -p 53 192.168.192.10'),
    JSON.stringify(trace.probe!.commands),
  );
});

test("a service without endpoints: kube-proxy's filter rule rejects it at node5, and the trace stops there", async () => {
  const trace = await tracer.trace({ source: lab.pod('tools'), destination: '192.168.199.235:80', probe: true });
  assert.equal(trace.outcome, 'filtered', trace.notes.join('; '));
  assert.equal(trace.hops.length, 1);
  const f = trace.hops[0]!.filter!;
  assert.deepEqual([f.namespace.slice(lab.prefix.length), f.hook, f.verdict], ['node5', 'FORWARD', 'REJECT']);
  assert.match(f.rules.at(-1)!, /-d 192\.168\.199\.235\/32 .*has no endpoints.* -j REJECT/);
  assert.ok(
    trace.notes.some((n) => /rejects the packet \(FORWARD\): the service has no endpoints/.test(n)),
    trace.notes.join('; '),
  );
  assert.equal(trace.probe!.reached, false);
  assert.match(trace.probe!.summary, /curl: .*(refused|Couldn't connect)/i);
});

test('kubewire trace: the three hops on the command line (exit 0), and ping google.com explained (exit 1)', async () => {
  const ok = await lab.cli(['trace', 'tools', KUBIA_A, '--probe']);
  assert.equal(ok.exitCode, 0, ok.stderr);
  const hopLines = ok.stdout
    .split('\n')
    .filter((l) => /^ ?\d {2}/.test(l))
    .map((l) => l.trim().split(/\s+/).slice(0, 3).join(' '));
  assert.deepEqual(hopLines, ['1 192.168.132.1 node5', '2 192.168.128.0 node1', `3 ${KUBIA_A} default/kubia-a`]);
  assert.match(ok.stdout, /VXLAN flannel\.1 VNI 1: outer 10\.231\.209\.117 → 10\.231\.209\.113 UDP 8472/);
  const ping = await lab.cli(['trace', 'tools', 'google.com', '--probe']);
  assert.equal(ping.exitCode, 1);
  assert.match(ping.stderr, /no route back.*NATs TCP and UDP only/);
  const bad = await lab.cli(['trace', 'tools', '$(reboot)']);
  assert.equal(bad.exitCode, 1);
  assert.match(bad.stderr, /destination/);
});
