// A two-node lab on real namespaces: the article's paths (same node over cni0, across nodes over
// flannel.1, out to the emulated Internet through the gateway's NAT) carry real traffic.
import assert from 'node:assert/strict';
import { loadState } from '../../../runtime/lab/lab-state.js';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { diffSnapshots, takeHostSnapshot, type HostSnapshot } from '../../../runtime/lab/host-snapshot.js';
import { eventually, namespacesWithPrefix, TestLab, TWO_NODES } from './harness.js';

describe('two-node lab', () => {
  let lab: TestLab;
  let hostBefore: HostSnapshot;

  before(async () => {
    lab = new TestLab(TWO_NODES);
    hostBefore = await takeHostSnapshot(lab.driver);
    await lab.upWithPods();
  });

  after(async () => {
    await lab.cleanup();
  });

  const tools = () => lab.pod('tools');

  test('same-node ping: tools -> kubia-b over cni0', async () => {
    const r = await lab.exec(tools(), ['ping', '-c', '1', '-W', '2', '192.168.132.73']);
    assert.equal(r.exitCode, 0, r.stdout + r.stderr);
  });

  test('cross-node ping: tools (node5) -> kubia-a (node1) over flannel.1', async () => {
    const r = await lab.exec(tools(), ['ping', '-c', '1', '-W', '2', '192.168.128.10']);
    assert.equal(r.exitCode, 0, r.stdout + r.stderr);
  });

  test('cross-node traceroute shows exactly three hops: cni0 .1, the peer VTEP .0, the pod', async () => {
    const r = await lab.exec(tools(), ['traceroute', '-n', '-q', '1', '-w', '2', '192.168.128.10']);
    assert.equal(r.exitCode, 0, r.stderr);
    const hops = r.stdout
      .split('\n')
      .slice(1)
      .filter((l) => l.trim())
      .map((l) => l.trim().split(/\s+/)[1]);
    assert.deepEqual(hops, ['192.168.132.1', '192.168.128.0', '192.168.128.10'], r.stdout);
  });

  test('pods get the flannel routes, fixed IP and MAC', async () => {
    const routes = await lab.exec(lab.pod('kubia-b'), ['ip', 'route']);
    assert.match(routes.stdout, /^default via 192\.168\.132\.1 dev eth0/m);
    assert.match(routes.stdout, /^192\.168\.128\.0\/18 via 192\.168\.132\.1 dev eth0/m);
    const link = await lab.exec(lab.pod('kubia-b'), ['ip', '-br', 'link', 'show', 'eth0']);
    assert.match(link.stdout, /3e:43:3e:1f:48:a1/);
    const ipam = await readFile(`${lab.paths.cniDataDir('node5')}/cbr0/192.168.132.73`, 'utf8');
    // host-local's file named by the IP holds the container id, as the article shows.
    const rec = (await loadState(lab.paths.state))!.pods['default/kubia-b']!;
    assert.match(rec.containerId, /^[0-9a-f]{64}$/);
    assert.equal(ipam.split(/\s/)[0], rec.containerId);
  });

  test('node5 has flannel.1 as the article shows it, with a route, neighbour and FDB entry for node1', async () => {
    const ns = lab.names.node('node5');
    const d = await lab.exec(ns, ['ip', '-d', 'link', 'show', 'flannel.1']);
    assert.match(d.stdout, /mtu 1450/);
    assert.match(d.stdout, /vxlan id 1 local 10\.231\.209\.117 dev eth0 srcport 0 0 dstport 8472 nolearning/);
    const routes = await lab.exec(ns, ['ip', 'route']);
    assert.match(routes.stdout, /192\.168\.128\.0\/24 via 192\.168\.128\.0 dev flannel\.1 onlink/);
    assert.match(routes.stdout, /192\.168\.132\.0\/24 dev cni0 proto kernel scope link src 192\.168\.132\.1/);
    const mac1 = (await lab.exec(lab.names.node('node1'), ['cat', '/sys/class/net/flannel.1/address'])).stdout.trim();
    const neigh = await lab.exec(ns, ['ip', 'neigh', 'show', 'dev', 'flannel.1']);
    assert.match(neigh.stdout, new RegExp(`192\\.168\\.128\\.0 lladdr ${mac1} PERMANENT`));
    const fdb = await lab.exec(ns, ['bridge', 'fdb', 'show', 'dev', 'flannel.1']);
    assert.match(fdb.stdout, new RegExp(`${mac1} dst 10\\.231\\.209\\.113`));
  });

  test('HTTP pod -> pod: kubia answers with its hostname, locally and across nodes', async () => {
    for (const [ip, name] of [
      ['192.168.132.73', 'kubia-b'],
      ['192.168.128.10', 'kubia-a'],
    ] as const) {
      const body = await eventually(async () => {
        const r = await lab.exec(tools(), ['curl', '-s', '-m', '2', `http://${ip}:8080/`]);
        return r.exitCode === 0 ? r.stdout : undefined;
      });
      assert.equal(body, `You've hit ${name}`); // execa drops the final newline
    }
  });

  test('the Internet: curl google.com works by name (TCP+UDP NATed), ping google.com gets no answer', async () => {
    const body = await eventually(async () => {
      const r = await lab.exec(tools(), ['curl', '-s', '-m', '3', 'http://google.com/']);
      return r.exitCode === 0 ? r.stdout : undefined;
    });
    assert.match(body, /google\.com \(203\.0\.113\.10\)/);
    const ping = await lab.exec(tools(), ['ping', '-c', '1', '-W', '1', 'google.com']);
    assert.notEqual(ping.exitCode, 0, 'ICMP is not translated by the gateway, so no answer comes back');
    assert.match(ping.stdout, /PING google\.com \(203\.0\.113\.10\)/, 'the name still resolves');
    // From the Internet, TCP to a node gets an answer (a refusal: no NodePort here, but a reply
    // came back over the TCP/UDP-only route), as NodePorts need.
    const tcp = await lab.exec(lab.names.internet, ['curl', '-s', '-m', '3', 'http://10.231.209.117:1/']);
    assert.equal(tcp.exitCode, 7, `connection refused expected, got ${tcp.exitCode}`);
  });

  test('the docker0 host behind node5 answers a pod (routed by node5 from cni0 to docker0)', async () => {
    const r = await lab.exec(tools(), ['ping', '-c', '1', '-W', '2', '172.17.0.2']);
    assert.equal(r.exitCode, 0, r.stdout + r.stderr);
  });

  test('kubewire exec: hostname is the pod name, exit codes pass through, unknown targets fail clearly', async () => {
    const h = await lab.cli(['exec', 'tools', '--', 'hostname']);
    assert.equal(h.exitCode, 0, h.stderr);
    assert.equal(h.stdout.trim(), 'tools');
    const code = await lab.cli(['exec', 'node5', '--', 'sh', '-c', 'exit 7']);
    assert.equal(code.exitCode, 7);
    const gw = await lab.cli(['exec', 'gateway', '--', 'ip', '-br', 'addr', 'show', 'eth1']);
    assert.match(gw.stdout, /198\.51\.100\.1\/24/);
    const bad = await lab.cli(['exec', 'nosuch', '--', 'true']);
    assert.equal(bad.exitCode, 1);
    assert.match(bad.stderr, /no node or pod of that name/);
  });

  test('status --json lists nodes, pods with IPs and live processes', async () => {
    const r = await lab.cli(['status', '--json']);
    assert.equal(r.exitCode, 0, r.stderr);
    const s = JSON.parse(r.stdout);
    assert.deepEqual(
      s.nodes.map((n: { name: string }) => n.name),
      ['node1', 'node5'],
    );
    const b = s.pods.find((p: { key: string }) => p.key === 'default/kubia-b');
    assert.equal(b.ip, '192.168.132.73');
    assert.ok(b.processes.length === 2 && b.processes.every((p: { alive: boolean }) => p.alive));
  });

  test('reset removes every namespace and leaves the host namespace as it was', async () => {
    await lab.daemon?.stop(); // its kubelets would remake pods while reset sweeps
    await lab.runtime.reset(lab.prefix);
    assert.deepEqual(namespacesWithPrefix(lab.prefix), []);
    const diff = diffSnapshots(hostBefore, await takeHostSnapshot(lab.driver));
    assert.deepEqual(diff, []);
    // doctor compares against the snapshot `up` took before this lab (prerequisites may vary).
    const doctor = await lab.cli(['doctor', '--json']);
    const report = JSON.parse(doctor.stdout);
    assert.deepEqual(report.hostDiff, []);
    assert.ok(report.checks.some((c: { name: string; ok: boolean }) => c.name === 'CNI plugin bridge' && c.ok));
  });
});
