// The path tracer on a lab the runtime builds (two nodes of the article: node1 and node5, the
// gateway and the emulated Internet), with kube-proxy's rules written by the cluster's own
// kube-proxy on node5 for Services this test creates through the lab's apiserver: the article's
// three hops, curl google.com vs ping google.com, a service cluster IP and a NodePort.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { parse, stringify } from 'yaml';
import type { EndpointSlice, Service } from '../../../common/api-types.js';
import type { L2Step, PathTrace } from '../../../common/path-model.js';
import { CaptureStore } from '../../../server/path/capture-store.js';
import { PathService } from '../../../server/path/path-service.js';
import { LabNamespaces } from '../../../server/lab-namespaces.js';
import { runCommand } from '../../../server/run-command.js';
import { eventually, TestLab, TWO_NODES } from '../runtime/harness.js';

let lab: TestLab;
let tracer: PathService;
let captures: CaptureStore;
const KUBIA_A = '192.168.128.10'; // on node1
const KUBIA_B = '192.168.132.73'; // on node5
/** A UDP service whose one endpoint is the emulated Internet's resolver (cluster DNS holds .10). */
const RESOLVER_SERVICE = '192.168.192.53';
const INTERNET_DNS = '198.51.100.53';

/** The article's two nodes, with kubia-a and kubia-b labelled app=kubia for kubia's selector. */
function topology(): string {
  const topo = parse(TWO_NODES) as { nodes: { pods: { metadata: { name: string; labels?: object } }[] }[] };
  const kubia = topo.nodes.flatMap((n) => n.pods).filter((p) => /^kubia-[ab]$/.test(p.metadata.name));
  assert.equal(kubia.length, 2, 'TWO_NODES no longer has the pods kubia-a and kubia-b');
  for (const p of kubia) p.metadata.labels = { app: 'kubia' };
  return stringify(topo);
}

// What the test makes through the apiserver, as a user would: the article's kubia (192.168.199.234:8080,
// NodePort 32681) selecting both kubia pods; a service without a selector and without endpoints;
// and a selector-less UDP service with a hand-made EndpointSlice naming the Internet's resolver.
const SERVICES: Service[] = [
  {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'kubia', namespace: 'default' },
    spec: {
      type: 'NodePort',
      clusterIP: '192.168.199.234',
      selector: { app: 'kubia' },
      ports: [{ protocol: 'TCP', port: 8080, targetPort: 8080, nodePort: 32681 }],
    },
  },
  {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'nothing', namespace: 'default' },
    spec: { clusterIP: '192.168.199.235', ports: [{ protocol: 'TCP', port: 80, targetPort: 80 }] },
  },
  {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'internet-dns', namespace: 'default' },
    spec: { clusterIP: RESOLVER_SERVICE, ports: [{ protocol: 'UDP', port: 53, targetPort: 53 }] },
  },
] as Service[];
const RESOLVER_SLICE = {
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: {
    name: 'internet-dns-1',
    namespace: 'default',
    labels: { 'kubernetes.io/service-name': 'internet-dns' },
  },
  addressType: 'IPv4',
  endpoints: [{ addresses: [INTERNET_DNS], conditions: { ready: true } }],
  ports: [{ name: '', protocol: 'UDP', port: 53 }],
} as EndpointSlice;

/**
 * What node5's kube-proxy has not written yet ([] once all is there), read from iptables-save in
 * node5's namespace: each service's KUBE-SVC chain behind its cluster IP with exactly the expected
 * endpoints' DNATs, kubia's NodePort, and the filter table's REJECT for the service without endpoints.
 */
async function notProgrammed(): Promise<string[]> {
  const node5 = lab.names.node('node5');
  const nat = (await lab.exec(node5, ['iptables-save', '-t', 'nat'])).stdout.split('\n');
  const filter = (await lab.exec(node5, ['iptables-save', '-t', 'filter'])).stdout.split('\n');
  // [target, DNAT destination] of each rule of a nat chain.
  const targets = (chain: string) =>
    nat.flatMap((l) => {
      const m = l.startsWith(`-A ${chain} `) ? / -j (\S+)(?: --to-destination (\S+))?/.exec(l) : null;
      return m ? [[m[1]!, m[2]] as const] : [];
    });
  const endpoints = (ip: string, proto: string, port: number): string[] | undefined => {
    const jump = nat.find(
      (l) =>
        l.startsWith(`-A KUBE-SERVICES -d ${ip}/32 -p ${proto} `) &&
        l.includes(` --dport ${port} `) &&
        / -j KUBE-SVC-\S+$/.test(l),
    );
    if (!jump) return undefined;
    const svc = jump.slice(jump.lastIndexOf(' ') + 1);
    return targets(svc)
      .filter(([t]) => t.startsWith('KUBE-SEP-'))
      .flatMap(([sep]) => targets(sep).flatMap(([t, to]) => (t === 'DNAT' && to ? [to] : [])))
      .sort();
  };
  const missing: string[] = [];
  const want = (what: string, ip: string, proto: string, port: number, expected?: string[]) => {
    const got = endpoints(ip, proto, port);
    if (!got) missing.push(`${what}: no KUBE-SVC chain for ${ip}:${port}/${proto}`);
    else if (expected ? got.join() !== [...expected].sort().join() : got.length === 0)
      missing.push(`${what}: endpoints [${got.join(', ')}], want [${expected?.join(', ') ?? 'any'}]`);
  };
  // Cluster DNS first: the pods' resolv.conf names it, and curl google.com resolves through it.
  want('kube-system/kube-dns:dns', '192.168.192.10', 'udp', 53);
  want('default/kubia', '192.168.199.234', 'tcp', 8080, [`${KUBIA_A}:8080`, `${KUBIA_B}:8080`]);
  if (!nat.some((l) => l.startsWith('-A KUBE-NODEPORTS ') && l.includes(' --dport 32681 ')))
    missing.push('default/kubia: no KUBE-NODEPORTS rule for 32681');
  want('default/internet-dns', RESOLVER_SERVICE, 'udp', 53, [`${INTERNET_DNS}:53`]);
  if (!filter.some((l) => /-d 192\.168\.199\.235\/32 .*has no endpoints.* -j REJECT/.test(l)))
    missing.push("default/nothing: no 'has no endpoints' REJECT in the filter table");
  return missing;
}

before(async () => {
  lab = new TestLab(topology());
  try {
    await lab.upWithPods();
    const client = lab.daemon!.client;
    for (const s of SERVICES) await client.services.create(s);
    await client.endpointSlices.create(RESOLVER_SLICE);
    // The cluster's kube-proxy on node5 programs them once the endpoint controller has seen both
    // kubia pods Ready: wait for its rules, naming what is still missing at the timeout.
    await eventually(
      "node5's kube-proxy to program the test's Services",
      async () => {
        const missing = await notProgrammed();
        if (!missing.length) return true;
        await delay(500); // two iptables-save per probe: no faster on a loaded machine
        throw new Error(missing.join('; '));
      },
      180_000,
    );
    // curl google.com resolves through cluster DNS, which forwards to the Internet's resolver. Its
    // pod has no readiness probe, so it is an endpoint (and in kube-proxy's rules) before its server
    // listens: dig gets 'connection refused' for a moment. Wait until it answers from tools.
    await eventually(
      'cluster DNS (192.168.192.10) to answer google.com A from tools',
      async () => {
        const dig = ['dig', '+short', '+time=2', '+tries=1', '@192.168.192.10', 'google.com', 'A'];
        const r = await lab.exec(lab.pod('tools'), dig);
        if (r.stdout.trim() === '203.0.113.10') return true;
        throw new Error(`dig: ${r.stdout.trim() || r.stderr.trim() || `exit ${r.exitCode}`}`);
      },
      60_000,
    );
  } catch (err) {
    await lab.cleanup();
    throw err;
  }
  const namespaces = new LabNamespaces(lab.prefix, { netnsDir: '/run/netns', procDir: '/proc', run: runCommand });
  captures = new CaptureStore({ now: () => performance.now(), keep: 2, log: () => {} });
  tracer = new PathService({ namespaces, run: runCommand, captures, now: () => performance.now() });
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
  const trace = await tracer.trace({ source: lab.pod('tools'), destination: '192.168.192.53:53/udp', probe: true });
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
    trace.probe!.commands.some((c) => c.join(' ') === 'traceroute -n -q 1 -w 1 -m 5 -U -p 53 192.168.192.53'),
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
  assert.equal(bad.exitCode, 2, bad.stderr); // a command line of the wrong form: a usage error
  assert.match(bad.stderr, /^kubewire trace: TO: '\$\(reboot\)' is neither an IPv4 address nor a host name$/m);
});
