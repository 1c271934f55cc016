// The path tracer through the UI server's HTTP calls, on a lab `kubewire up` builds with this
// test's own prefix and state folder: two nodes (flannel.1 VXLAN between them), kubia pods serving
// HTTP on node2, and the Service default/kubia (192.168.199.50:80) whose two endpoints are both on
// node2, rendered by the lab's own kube-proxy on node1. The lab is reset in `after`, also when a
// test fails.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { L2Step, PathCapture, PathTrace } from '../../../common/path-model.js';
import { twoNodeTopology, upWithCli, waitForTopologyPods } from '../../helpers/cli-lab.js';
import { eventually, type TestLab } from '../runtime/harness.js';
import { decodeEthernet, readPcap } from '../../helpers/pcap.js';
import { UiTestClient } from '../../helpers/ui-client.js';
import { startUiApp } from '../../../server/ui-app.js';
import type { RunningUiServer } from '../../../server/ui-server.js';

const root = process.env.KUBEWIRE_ROOT ?? process.cwd();
let lab: TestLab;
let server: RunningUiServer;
let client: UiTestClient;
const A = '192.168.128.10';
const B = '192.168.129.10';
const B2 = '192.168.129.11';
const ns = (name: string): string => `${lab.prefix}${name}`;

before(async () => {
  lab = await upWithCli(twoNodeTopology('path-tracer', { podsPerNode: 2, service: true }));
  await waitForTopologyPods(lab);
  // kubia listens in node2's pods, and node1's kube-proxy has rendered the service's two endpoints.
  await eventually(async () => {
    for (const pod of ['kubia-m4kz2', 'kubia-p8f5w']) {
      const r = await lab.exec(lab.pod(pod), ['ss', '-Hltn', 'sport = :8080']);
      if (!r.stdout.includes('8080')) return undefined;
    }
    const nat = await lab.exec(lab.names.node('node1'), ['iptables-save', '-t', 'nat']);
    return [B, B2].every((ip) => nat.stdout.includes(`--to-destination ${ip}:8080`)) ? true : undefined;
  }, 180_000);
  server = await startUiApp({ prefix: lab.prefix, staticDir: join(root, 'dist', 'renderer'), log: () => {} });
  client = new UiTestClient(server.port, server.token);
});

after(async () => {
  await server?.dispose();
  await lab?.cleanup();
});

function encap(t: PathTrace): Extract<L2Step, { kind: 'vxlan-encap' }> {
  for (const h of t.hops) for (const s of h.arrival) if (s.kind === 'vxlan-encap') return s;
  throw new Error('no VXLAN segment in the trace');
}

test('pod on node1 → pod on node2, before any traffic: three hops, VXLAN between the nodes, confirmed by traceroute', async (t) => {
  const trace = await client.mustCall('path.trace', {
    source: ns('default_kubia-24hmb'),
    destination: B,
    probe: true,
  });
  assert.equal(trace.outcome, 'delivered', trace.notes.join('; '));
  assert.deepEqual(
    trace.hops.map((h) => [h.ttl, h.label, h.address, h.inDev]),
    [
      [1, 'node1', '192.168.128.1', 'cni0'],
      [2, 'node2', '192.168.129.0', 'flannel.1'],
      [3, 'default/kubia-m4kz2', B, 'eth0'],
    ],
  );
  const v = encap(trace);
  assert.deepEqual([v.outerSrc, v.outerDst, v.udpPort, v.vni], ['10.231.209.116', '10.231.209.117', 8472, 1]);
  assert.equal(trace.probe?.reached, true, trace.probe?.summary);
  assert.deepEqual(
    trace.probe!.traceroute.map((h) => h.address),
    ['192.168.128.1', '192.168.129.0', B],
  );
  assert.deepEqual(
    trace.hops.map((h) => h.confirmed),
    [true, true, true],
  );
  t.diagnostic(`derive ${trace.timing.deriveMs} ms, probe (ping + traceroute) ${trace.timing.probeMs} ms`);
});

test('capture on every hop at once: the underlay holds UDP 8472 packets whose inner packet is the ping; files download with the token', async (t) => {
  const cap: PathCapture = await client.mustCall('path.capture', {
    source: ns('default_kubia-24hmb'),
    destination: B,
    packets: 10,
    seconds: 5,
  });
  t.diagnostic(
    `capture: tcpdumps ready ${cap.timing.startMs} ms, probe ${cap.timing.probeMs} ms, total ${cap.timing.totalMs} ms, ${cap.files.length} files`,
  );
  assert.deepEqual(
    cap.files.map((f) => `${f.namespace.slice(lab.prefix.length)}/${f.dev}`),
    [
      'default_kubia-24hmb/eth0',
      'node1/cni0',
      'node1/eth0',
      'underlay/node1',
      'node2/flannel.1',
      'default_kubia-m4kz2/eth0',
    ],
  );
  for (const f of cap.files) assert.ok(f.packets >= 1, `${f.name}: ${f.packets} packets (filter ${f.filter})`);
  const url = `http://127.0.0.1:${server.port}`;
  for (const f of cap.files.filter((x) => x.role.includes('VXLAN'))) {
    assert.match(f.name, /^[0-9]{2}-[A-Za-z0-9_.-]+\.pcap$/);
    const res = await fetch(url + f.url, { headers: { 'x-kubewire-token': server.token } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/vnd.tcpdump.pcap');
    const pcap = readPcap(Buffer.from(await res.arrayBuffer()));
    assert.equal(pcap.linkType, 1, 'Ethernet');
    const decoded = pcap.packets.map(decodeEthernet);
    assert.ok(decoded.length > 0);
    for (const d of decoded) {
      assert.ok(
        d && d.protocol === 17 && (d.dport === 8472 || d.sport === 8472),
        `every packet is VXLAN: ${JSON.stringify(d)}`,
      );
    }
    const request = decoded.find((d) => d?.vxlan?.inner?.icmpType === 8);
    assert.ok(request, 'an ICMP echo request inside VXLAN');
    assert.deepEqual(
      [request.src, request.dst, request.dport, request.vxlan!.vni],
      ['10.231.209.116', '10.231.209.117', 8472, 1],
    );
    assert.deepEqual([request.vxlan!.inner!.src, request.vxlan!.inner!.dst], [A, B]);
    // The inner TTL was decremented once, by node1 (the VXLAN tunnel itself is not a hop).
    assert.equal(request.vxlan!.inner!.ttl, 63);
    const reply = decoded.find((d) => d?.vxlan?.inner?.icmpType === 0);
    assert.ok(
      reply && reply.src === '10.231.209.117' && reply.vxlan!.inner!.dst === A,
      'the echo reply comes back through the tunnel',
    );
  }
  const pod = cap.files.find((f) => f.role === 'source out')!;
  const inner = readPcap(
    await (
      await fetch(url + pod.url, { headers: { 'x-kubewire-token': server.token } })
    )
      .arrayBuffer()
      .then((b) => Buffer.from(b)),
  ).packets.map(decodeEthernet);
  assert.ok(
    inner.some((d) => d?.protocol === 1 && d.src === A && d.dst === B && d.ttl === 64),
    'the pod sends the plain ICMP packet',
  );
  assert.equal((await fetch(url + pod.url)).status, 401, 'no token, no file');
  assert.equal(
    (
      await fetch(`${url}/api/pcap/${cap.id}/..%2F..%2Fetc%2Fpasswd.pcap`, {
        headers: { 'x-kubewire-token': server.token },
      })
    ).status,
    404,
  );
  assert.equal(
    (await fetch(`${url}/api/pcap/${'0'.repeat(16)}/${pod.name}`, { headers: { 'x-kubewire-token': server.token } }))
      .status,
    404,
  );
  // (The node's own agents run in its namespace too: only tcpdump counts here.)
  const tcpdumps = execFileSync('ip', ['netns', 'pids', ns('node1')])
    .toString()
    .split('\n')
    .filter((pid) => /^\d+$/.test(pid.trim()))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid.trim()}/comm`, 'utf8').trim() === 'tcpdump';
      } catch {
        return false;
      }
    });
  assert.deepEqual(tcpdumps, [], 'no tcpdump left running');
});

test('a service cluster IP: DNAT found in node1 (KUBE-SERVICES → KUBE-SVC → KUBE-SEP), endpoint named by conntrack', async (t) => {
  const trace = await client.mustCall('path.trace', {
    source: ns('default_kubia-24hmb'),
    destination: '192.168.199.50:80',
    probe: true,
  });
  assert.equal(trace.outcome, 'delivered', trace.notes.join('; '));
  const dnat = trace.hops[0]!.nat.find((n) => n.action === 'DNAT')!;
  assert.ok(dnat, 'DNAT at node1');
  assert.deepEqual(
    dnat.candidates!.map((c) => [c.endpoint, c.probability]),
    [
      [`${B}:8080`, 0.5],
      [`${B2}:8080`, 0.5],
    ],
  );
  assert.equal(trace.probe!.reached, true, trace.probe!.summary);
  assert.match(trace.probe!.summary, /HTTP 200/);
  assert.match(dnat.chosenBy ?? '', /^conntrack in node1: the probe's connection went to 192\.168\.129\.1[01]:8080$/);
  const endpoint = dnat.chosenBy!.split(' went to ')[1]!;
  assert.equal(`${dnat.after.dst}:${dnat.after.dport}`, endpoint);
  assert.equal(trace.hops.length, 3);
  assert.equal(trace.hops[2]!.address, endpoint.split(':')[0]);
  assert.equal(trace.hops[2]!.packet.dport, 8080);
  assert.deepEqual(encap(trace).outerDst, '10.231.209.117');
  t.diagnostic(
    `service: derive ${trace.timing.deriveMs} ms, probe (curl + conntrack + re-derive + traceroute -T) ${trace.timing.probeMs} ms`,
  );
});

test('bad input is refused with the field named and nothing run', async () => {
  const bad = async (req: { source: string; destination: string }, re: RegExp): Promise<void> => {
    const r = await client.call('path.trace', req);
    assert.ok(!r.ok && r.error.code === 'bad-request' && re.test(r.error.message), JSON.stringify(r));
  };
  await bad(
    { source: 'kw-someoneelse-node1', destination: B },
    /path\.trace\.source: 'kw-someoneelse-node1' is not a namespace of this lab/,
  );
  await bad({ source: `${lab.prefix}node9`, destination: B }, /does not exist/);
  await bad({ source: ns('default_kubia-24hmb'), destination: '192.168.129.10;reboot' }, /path\.trace\.destination/);
  await bad({ source: ns('default_kubia-24hmb'), destination: '$(id)' }, /path\.trace\.destination/);
  await bad({ source: ns('default_kubia-24hmb'), destination: '192.168.129.10:99999' }, /outside 1…65535/);
  // No resolv.conf of its own (the gateway has none): the host's resolver is never asked.
  await bad({ source: ns('gateway'), destination: 'kubia-remote' }, /has no \/etc\/netns\/.*resolv\.conf/);
});

test("a name resolves with the source's own /etc/netns files: the pod asks the cluster's DNS", async () => {
  const trace = await client.mustCall('path.trace', { source: ns('default_kubia-24hmb'), destination: 'kubia:80' });
  assert.equal(trace.destination.ip, '192.168.199.50');
  assert.match(
    trace.destination.resolvedBy ?? '',
    new RegExp(
      `^dig @192\\.168\\.192\\.10 kubia\\.default\\.svc\\.cluster\\.local A \\(inside ${ns('default_kubia-24hmb')}\\)$`,
    ),
  );
  // Through the service's DNAT on node1, to one of its endpoints on node2.
  assert.ok([B, B2].includes(trace.hops.at(-1)!.address), JSON.stringify(trace.hops.at(-1)));
});
