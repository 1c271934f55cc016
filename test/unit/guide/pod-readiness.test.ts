import { test } from 'node:test';
import assert from 'node:assert/strict';
import { declaredPorts, podNotReady } from '../../../runtime/guide/pod-readiness.js';
import type { LabState } from '../../../runtime/lab/lab-state.js';

test('declaredPorts takes the TCP containerPorts of every container', () => {
  const manifest = {
    spec: { containers: [{ ports: [{ containerPort: 8080 }, { containerPort: 53, protocol: 'UDP' }] }, { name: 'b' }] },
  };
  assert.deepEqual(declaredPorts(manifest), [8080]);
  assert.deepEqual(declaredPorts({}), []);
});

test('podNotReady says what is missing: no state, no sandbox, no namespace', () => {
  assert.match(podNotReady(undefined, 'default', 'a', 1, [])!, /default\/a: no sandbox yet/);
  const state = {
    pods: { 'default/a': { netns: 'kw-tnone-default_a', containers: {}, sandbox: { pid: process.pid } } },
  } as unknown as LabState;
  assert.match(podNotReady(state, 'default', 'a', 1, [])!, /network namespace kw-tnone-default_a missing/);
});

test('the article topology expects its static pods, the six pinned kubia pods and kubia with 6 endpoints', async () => {
  const { readFileSync } = await import('node:fs');
  const { parseTopology } = await import('../../../common/topology/parse-topology.js');
  const { expectedPods, expectedServices } = await import('../../../runtime/guide/lab-expectations.js');
  const file = 'labs/topologies/article.yaml';
  const topo = parseTopology(readFileSync(file, 'utf8'), file);
  const pods = expectedPods(topo);
  const pinned = pods.filter((p) => p.source === 'pinned');
  assert.deepEqual(
    pinned.map((p) => `${p.name}@${p.node}`),
    [
      'kubia-m7tvc@node4',
      'kubia-5x9zq@node4',
      'kubia-rpr99@node5',
      'kubia-24hmb@node5',
      'kubia-q4w2n@node6',
      'kubia-8h2kd@node6',
    ],
  );
  assert.deepEqual(pinned[0]!.ports, [8080]);
  assert.ok(pods.some((p) => p.source === 'static' && p.name === 'tools'));
  const kubia = expectedServices(topo, pods).find((s) => s.name === 'kubia')!;
  assert.equal(kubia.clusterIP, '192.168.199.234');
  assert.equal(kubia.endpoints, 6);
  assert.deepEqual(kubia.ports, [{ port: 8080, protocol: 'tcp' }]);
  // Cluster DNS too: a step's `curl google.com` needs a ready CoreDNS behind kube-dns.
  const dns = expectedServices(topo, pods).find((s) => s.name === 'kube-dns')!;
  assert.deepEqual(
    [dns.namespace, dns.clusterIP, dns.endpoints, dns.ports],
    [
      'kube-system',
      '192.168.192.10',
      1,
      [
        { port: 53, protocol: 'udp' },
        { port: 53, protocol: 'tcp' },
      ],
    ],
  );
});

test('serviceNotServed counts the KUBE-SEP jumps of the chain KUBE-SERVICES sends the cluster IP to', async () => {
  const { serviceNotServed } = await import('../../../runtime/guide/pod-readiness.js');
  const svc = {
    namespace: 'default',
    name: 'kubia',
    clusterIP: '192.168.199.234',
    ports: [{ port: 8080, protocol: 'tcp' }],
    endpoints: 2,
  };
  const entry =
    '-A KUBE-SERVICES -d 192.168.199.234/32 -p tcp -m comment --comment "default/kubia: cluster IP" -m tcp --dport 8080 -j KUBE-SVC-L5EAUEZ74VZL5GSC';
  const sep = (n: string, p = '') =>
    `-A KUBE-SVC-L5EAUEZ74VZL5GSC -m comment --comment default/kubia:${p} -j KUBE-SEP-${n}`;
  assert.match(serviceNotServed('', svc, 'iptables')!, /no KUBE-SERVICES rule for 192.168.199.234:8080/);
  assert.match(serviceNotServed([entry, sep('A')].join('\n'), svc, 'iptables')!, /lists 1 of 2 endpoints/);
  assert.equal(serviceNotServed([entry, sep('A'), sep('B')].join('\n'), svc, 'iptables'), undefined);
  const nft = 'chain endpoint-ABCD1234-default/kubia/tcp/__192.168.132.72/8080 {\n 192.168.199.234';
  assert.match(serviceNotServed(nft, svc, 'nftables')!, /1 of 2 endpoints/);
});
