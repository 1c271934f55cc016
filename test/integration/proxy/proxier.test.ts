// kube-proxy's rules on real namespaces: a node with three kubia pods on cni0, a client pod and an
// outside host. The Proxier writes the rules with iptables-restore in the node namespace; traffic
// to the cluster IP and the NodePort must reach several pods, with the DNAT in conntrack.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { HostDriverConntrackCleaner } from '../../../cluster/proxy/conntrack-cleanup.js';
import { HostDriverIptablesRestorer } from '../../../cluster/proxy/netns-iptables-restorer.js';
import { NetnsDriver } from '../../../runtime/host/netns-driver.js';
import { Proxier } from '../../../cluster/proxy/proxier.js';
import { endpointSlice, kubiaService, kubiaSlice, service } from '../../support/proxy-objects.js';
import { NetnsLab } from '../../support/netns-lab.js';

const lab = new NetnsLab();
const PODS = [
  { name: 'kubia-a', ip: '192.168.132.11' },
  { name: 'kubia-b', ip: '192.168.132.12' },
  { name: 'kubia-c', ip: '192.168.132.13' },
];
const NODE_IP = '10.231.209.117';
let proxier: Proxier;

async function curl(from: string, url: string) {
  return lab.exec(from, ['curl', '-sS', '--max-time', '3', url]);
}

async function answers(from: string, url: string, n: number): Promise<Map<string, number>> {
  const seen = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const r = await curl(from, url);
    assert.equal(r.exitCode, 0, `curl ${url} from ${from}: ${r.stderr}`);
    seen.set(r.stdout.trim(), (seen.get(r.stdout.trim()) ?? 0) + 1);
  }
  return seen;
}

before(async () => {
  try {
    await lab.addNode('node5', '192.168.132.1/24');
    for (const [i, p] of PODS.entries())
      await lab.addPod('node5', i + 1, { ...p, httpPort: 8080, udpPort: 5353 }, '192.168.132.1');
    await lab.addPod('node5', 9, { name: 'client', ip: '192.168.132.20' }, '192.168.132.1');
    await lab.addOutside('node5', 'outside', `${NODE_IP}/24`, '10.231.209.50/24');
  } catch (err) {
    await lab.dispose();
    throw err;
  }
  proxier = new Proxier({
    netns: lab.ns('node5'),
    // The production path: iptables-restore through the runtime's host driver (execa, argv arrays).
    restorer: new HostDriverIptablesRestorer(new NetnsDriver('/nonexistent-no-scripts-needed')),
    conntrack: new HostDriverConntrackCleaner(new NetnsDriver('/nonexistent-no-scripts-needed')),
    clock: { now: () => performance.now() },
    config: { nodeName: 'node5', clusterCIDR: '192.168.128.0/18' },
  });
  proxier.onServiceUpsert(kubiaService());
  proxier.onEndpointSliceUpsert(kubiaSlice(PODS.map((p) => p.ip)));
  proxier.onServiceUpsert(service({ name: 'nothing', clusterIP: '192.168.199.235', port: 80 }));
  const r = await proxier.sync();
  assert.equal(r.full, true);
});

after(() => lab.dispose());

test("iptables -t nat -S in the node shows kube-proxy's structure", async () => {
  const nat = (await lab.exec('node5', ['iptables', '-t', 'nat', '-S'])).stdout.split('\n');
  const SVC = 'KUBE-SVC-XCCRWSFD2BRL7CRI';
  for (const line of [
    '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
    '-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000',
    '-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN',
    '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
    `-A KUBE-SERVICES -d 192.168.199.234/32 -p tcp -m comment --comment "default/kubia cluster IP" -m tcp --dport 8080 -j ${SVC}`,
    `-A KUBE-NODEPORTS -p tcp -m comment --comment "default/kubia" -m tcp --dport 32681 -j KUBE-EXT-XCCRWSFD2BRL7CRI`,
    `-A ${SVC} ! -s 192.168.128.0/18 -d 192.168.199.234/32 -p tcp -m comment --comment "default/kubia cluster IP" -m tcp --dport 8080 -j KUBE-MARK-MASQ`,
  ])
    assert.ok(nat.includes(line), `missing: ${line}\n${nat.join('\n')}`);
  // The NodePort jump is the last rule of KUBE-SERVICES.
  const services = nat.filter((l) => l.startsWith('-A KUBE-SERVICES '));
  assert.match(services.at(-1)!, /-m addrtype --dst-type LOCAL -j KUBE-NODEPORTS$/);
  // Three endpoints: 1/3, then 1/2, then the rest (iptables prints its fixed-point value).
  const dispatch = nat.filter((l) => l.startsWith(`-A ${SVC} `) && l.includes('KUBE-SEP-'));
  assert.equal(dispatch.length, 3);
  assert.match(dispatch[0]!, /--probability 0\.3333333\d+ -j KUBE-SEP-/);
  assert.match(dispatch[1]!, /--probability 0\.50000000000 -j KUBE-SEP-/);
  assert.doesNotMatch(dispatch[2]!, /statistic/);
  // Hairpin: each KUBE-SEP marks traffic from its own pod for masquerade.
  for (const p of PODS)
    assert.ok(
      nat.some((l) => l.startsWith('-A KUBE-SEP-') && l.includes(`-s ${p.ip}/32`) && l.endsWith('-j KUBE-MARK-MASQ')),
      p.ip,
    );
});

test('curl of the cluster IP from a pod reaches several kubia pods, and conntrack shows the DNAT', async () => {
  const seen = await answers('client', 'http://192.168.199.234:8080/', 24);
  assert.ok(seen.size >= 2, `only ${[...seen.keys()].join(',')} answered`);
  for (const k of seen.keys())
    assert.ok(
      PODS.some((p) => p.name === k),
      k,
    );
  const ct = await lab.exec('node5', ['conntrack', '-L', '-p', 'tcp', '--orig-dst', '192.168.199.234']);
  assert.equal(ct.exitCode, 0, ct.stderr);
  // Original direction to the cluster IP, reply direction from a pod: the DNAT kube-proxy asked for.
  const entry = ct.stdout.split('\n').find((l) => l.includes('dst=192.168.199.234') && l.includes('dport=8080'));
  assert.ok(entry, ct.stdout);
  assert.match(entry, /src=192\.168\.132\.1[123] dst=192\.168\.132\.20 sport=8080/);
});

test('a pod reaching itself through the service works (hairpin masquerade)', async () => {
  const seen = await answers('kubia-a', 'http://192.168.199.234:8080/', 12);
  assert.ok(seen.size >= 1);
});

test("the NodePort answers on the node's address from outside", async () => {
  const seen = await answers('outside', `http://${NODE_IP}:32681/`, 12);
  assert.ok(seen.size >= 2, `only ${[...seen.keys()].join(',')} answered`);
});

test('a service without endpoints refuses the connection (REJECT in filter)', async () => {
  const r = await curl('client', 'http://192.168.199.235:80/');
  assert.equal(r.exitCode, 7, r.stderr);
  assert.match(r.stderr, /Connection refused|Couldn't connect/);
});

test("a partial sync after removing one endpoint rewrites kubia's chains and deletes the stale one", async () => {
  const before = (await lab.exec('node5', ['iptables', '-t', 'nat', '-S'])).stdout;
  proxier.onEndpointSliceUpsert(kubiaSlice(PODS.slice(0, 2).map((p) => p.ip)));
  const r = await proxier.sync();
  assert.equal(r.full, false);
  assert.equal(r.staleChainsDeleted, 1);
  const after = (await lab.exec('node5', ['iptables', '-t', 'nat', '-S'])).stdout;
  const sepsBefore = before.split('\n').filter((l) => l.startsWith('-N KUBE-SEP-'));
  const sepsAfter = after.split('\n').filter((l) => l.startsWith('-N KUBE-SEP-'));
  assert.equal(sepsBefore.length, 3);
  assert.equal(sepsAfter.length, 2);
  assert.ok(!after.includes('192.168.132.13'));
  const seen = await answers('client', 'http://192.168.199.234:8080/', 16);
  assert.ok(!seen.has('kubia-c'), 'the removed pod still answered');
  assert.equal(seen.size, 2);
});

test('sessionAffinity ClientIP keeps one client on one pod (-m recent)', async () => {
  proxier.onServiceUpsert(
    service({ name: 'sticky', clusterIP: '192.168.199.236', port: 8080, sessionAffinitySeconds: 300 }),
  );
  proxier.onEndpointSliceUpsert(endpointSlice({ service: 'sticky', port: 8080, endpoints: PODS.map((p) => p.ip) }));
  const r = await proxier.sync();
  assert.equal(r.servicesWritten, 1);
  const seen = await answers('client', 'http://192.168.199.236:8080/', 10);
  assert.equal(seen.size, 1, `a sticky client reached ${[...seen.keys()].join(',')}`);
});

test('UDP: a client pinned to an endpoint by conntrack moves on once that endpoint is removed', async () => {
  proxier.onServiceUpsert(service({ name: 'dns', clusterIP: '192.168.199.237', port: 5353, protocol: 'UDP' }));
  proxier.onEndpointSliceUpsert(
    endpointSlice({ service: 'dns', port: 5353, protocol: 'UDP', endpoints: PODS.map((p) => p.ip) }),
  );
  await proxier.sync();
  // Same source port every time: the same conntrack entry, so always the same pod.
  const first = await lab.udpAsk('client', 41000, '192.168.199.237', 5353);
  assert.ok(
    PODS.some((p) => p.name === first),
    `answer: ${JSON.stringify(first)}`,
  );
  assert.equal(await lab.udpAsk('client', 41000, '192.168.199.237', 5353), first);
  // That pod leaves the service (it still runs and would still answer a stale NAT entry).
  const rest = PODS.filter((p) => p.name !== first);
  proxier.onEndpointSliceUpsert(
    endpointSlice({ service: 'dns', port: 5353, protocol: 'UDP', endpoints: rest.map((p) => p.ip) }),
  );
  const r = await proxier.sync();
  const after = await lab.udpAsk('client', 41000, '192.168.199.237', 5353);
  assert.ok(
    rest.some((p) => p.name === after),
    `after removal the answer came from ${JSON.stringify(after)}`,
  );
  assert.equal(r.conntrackError, undefined);
  assert.ok(r.udpFlowFilters >= 1);
});

test('a second full sync is idempotent: jump rules are not duplicated', async () => {
  proxier.forceFullSync();
  const r = await proxier.sync();
  assert.equal(r.full, true);
  const nat = (await lab.exec('node5', ['iptables', '-t', 'nat', '-S', 'PREROUTING'])).stdout;
  assert.equal(nat.split('\n').filter((l) => l.includes('-j KUBE-SERVICES')).length, 1);
  const filter = (await lab.exec('node5', ['iptables', '-S', 'FORWARD'])).stdout;
  assert.equal(filter.split('\n').filter((l) => l.includes('-j KUBE-FORWARD')).length, 1);
});

test('a big ruleset (1,200 endpoint chains, over the -S threshold) lands whole, jump rules once', async () => {
  const netns = await lab.addNamespace('big');
  const big = new Proxier({
    netns,
    restorer: new HostDriverIptablesRestorer(new NetnsDriver('/nonexistent-no-scripts-needed')),
    clock: { now: () => performance.now() },
    config: { nodeName: 'node5', clusterCIDR: '192.168.128.0/18' },
  });
  for (let i = 0; i < 120; i++) {
    big.onServiceUpsert(service({ name: `svc-${i}`, clusterIP: `192.168.200.${i + 2}`, port: 80 }));
    big.onEndpointSliceUpsert(
      endpointSlice({
        service: `svc-${i}`,
        port: 80,
        endpoints: Array.from({ length: 10 }, (_, j) => `192.168.${140 + j}.${i + 2}`),
      }),
    );
  }
  const r = await big.sync();
  assert.equal(r.full, true);
  assert.ok(
    big
      .lastRestoreText()
      .split('\n')
      .filter((l) => l.startsWith(':KUBE-SEP-')).length >= 500,
    'enough chains for the whole-table cache request',
  );
  const saved = (await lab.exec('big', ['iptables-save'])).stdout.split('\n');
  assert.equal(saved.filter((l) => l.startsWith(':KUBE-SEP-')).length, 1200);
  assert.equal(saved.filter((l) => l.startsWith('-A KUBE-SERVICES ') && l.includes('cluster IP')).length, 120);
  assert.equal(
    saved.filter((l) => l === '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES')
      .length,
    1,
  );
  assert.equal(
    saved.filter(
      (l) =>
        l ===
        '-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES',
    ).length,
    1,
  );
  big.forceFullSync();
  await big.sync();
  const again = (await lab.exec('big', ['iptables-save'])).stdout.split('\n');
  assert.equal(
    again.filter((l) => l.startsWith('-A ')).length,
    saved.filter((l) => l.startsWith('-A ')).length,
    'a second full sync changes nothing',
  );
});
