// nat table following on kube-proxy's and flanneld's rules (test/fixtures/path/node1-nat.rules).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { evaluateFilter, evaluateNat, parseIptablesTable, parseNatTable } from '../../../server/path/iptables-walk.js';

const root = process.env.KUBEWIRE_ROOT ?? join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const table = parseNatTable(readFileSync(join(root, 'test', 'fixtures', 'path', 'node1-nat.rules'), 'utf8'));
const node1 = ['10.231.209.116', '192.168.128.1', '192.168.128.0'];

test('NodePort on the node address: KUBE-NODEPORTS marks for MASQUERADE and reaches the service chain', () => {
  const pkt = { src: '10.231.209.117', dst: '10.231.209.116', protocol: 'tcp' as const, dport: 32681 };
  const pre = evaluateNat(table, 'PREROUTING', pkt, { inDev: 'eth0', localAddresses: node1, choose: () => 1 });
  assert.equal(pre.action, 'DNAT');
  assert.equal(pre.to, '192.168.128.10:8080');
  assert.equal(pre.chosen, 1);
  assert.equal(pre.mark & 0x4000, 0x4000);
  assert.ok(pre.rules.some((r) => r.includes('-A KUBE-SERVICES') && r.includes('KUBE-NODEPORTS')));
  // The mark makes KUBE-POSTROUTING masquerade the node-to-pod leg.
  const post = evaluateNat(
    table,
    'POSTROUTING',
    { ...pkt, dst: '192.168.128.10', dport: 8080 },
    { outDev: 'cni0', localAddresses: node1 },
    pre.mark,
  );
  assert.equal(post.action, 'MASQUERADE');
  assert.ok(post.rules.at(-1)!.includes('KUBE-POSTROUTING') && post.rules.at(-1)!.includes('MASQUERADE'));
});

test('the same NodePort on an address that is not local does not match (addrtype LOCAL)', () => {
  const d = evaluateNat(
    table,
    'PREROUTING',
    { src: '10.231.209.117', dst: '10.231.209.50', protocol: 'tcp', dport: 32681 },
    { inDev: 'eth0', localAddresses: node1 },
  );
  assert.equal(d.action, 'none');
});

test("flannel's POSTROUTING: pod → outside is masqueraded, pod → pod is not, UDP service ports do not match TCP rules", () => {
  const out = evaluateNat(
    table,
    'POSTROUTING',
    { src: '192.168.128.10', dst: '203.0.113.10', protocol: 'icmp' },
    { outDev: 'eth0', localAddresses: node1 },
  );
  assert.equal(out.action, 'MASQUERADE');
  assert.match(out.rules.at(-1)!, /-s 192\.168\.128\.0\/18 ! -d 224\.0\.0\.0\/4 -j MASQUERADE/);
  const inside = evaluateNat(
    table,
    'POSTROUTING',
    { src: '192.168.128.10', dst: '192.168.129.10', protocol: 'icmp' },
    { outDev: 'flannel.1', localAddresses: node1 },
  );
  assert.equal(inside.action, 'none');
  const udp = evaluateNat(
    table,
    'PREROUTING',
    { src: '192.168.128.10', dst: '192.168.192.50', protocol: 'udp', dport: 80 },
    { inDev: 'cni0', localAddresses: node1 },
  );
  assert.equal(udp.action, 'none');
});

test('statistic shares: 1/6, 1/5, … of the rest give every endpoint 1/6 (the article kubia chain)', () => {
  const sep = (i: number): string =>
    `:KUBE-SEP-${i}\n-A KUBE-SEP-${i} -p tcp -j DNAT --to-destination 192.168.13${i}.21:8080`;
  const probs = [0.16667000018, 0.20000000019, 0.25, 0.33332999982, 0.5];
  const text = [
    '*nat',
    ':PREROUTING ACCEPT',
    ':KUBE-SVC-X',
    '-A PREROUTING -d 192.168.199.234/32 -p tcp --dport 8080 -j KUBE-SVC-X',
    ...probs.map((p, i) => `-A KUBE-SVC-X -m statistic --mode random --probability ${p} -j KUBE-SEP-${i}`),
    '-A KUBE-SVC-X -j KUBE-SEP-5',
    ...[0, 1, 2, 3, 4, 5].map(sep),
    'COMMIT',
  ].join('\n');
  const d = evaluateNat(
    parseNatTable(text),
    'PREROUTING',
    { src: '192.168.132.73', dst: '192.168.199.234', protocol: 'tcp', dport: 8080 },
    { inDev: 'cni0', localAddresses: [] },
  );
  assert.equal(d.candidates!.length, 6);
  for (const c of d.candidates!) assert.ok(Math.abs(c.probability - 1 / 6) < 0.001, String(c.probability));
  assert.equal(d.to, '192.168.130.21:8080');
});

test('filter: kube-proxy rejects a service without endpoints for NEW packets; KUBE-FORWARD lets marked ones through a DROP policy', () => {
  const text = [
    '*filter',
    ':INPUT ACCEPT [0:0]',
    ':FORWARD DROP [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':KUBE-FORWARD - [0:0]',
    ':KUBE-SERVICES - [0:0]',
    '-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD',
    '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP',
    '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT',
    '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
    '-A KUBE-SERVICES -d 192.168.199.235/32 -p tcp -m comment --comment "default/nothing has no endpoints" -m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable',
    '-A FORWARD -s 192.168.128.0/18 -j ACCEPT',
    'COMMIT',
  ].join('\n');
  const t = parseIptablesTable(text, 'filter');
  const ctx = { inDev: 'cni0', outDev: 'eth0', localAddresses: node1 };
  const rejected = evaluateFilter(
    t,
    'FORWARD',
    { src: '192.168.128.10', dst: '192.168.199.235', protocol: 'tcp', dport: 80 },
    ctx,
  );
  assert.equal(rejected.action, 'REJECT');
  assert.match(rejected.rules.at(-1)!, /has no endpoints/);
  assert.equal(
    evaluateFilter(t, 'FORWARD', { src: '192.168.128.10', dst: '192.168.129.10', protocol: 'tcp', dport: 80 }, ctx)
      .action,
    'ACCEPT',
  );
  const other = evaluateFilter(
    t,
    'FORWARD',
    { src: '10.231.209.50', dst: '192.168.129.10', protocol: 'tcp', dport: 80 },
    ctx,
  );
  assert.deepEqual([other.action, other.byPolicy], ['DROP', true]);
  assert.equal(
    evaluateFilter(
      t,
      'FORWARD',
      { src: '10.231.209.50', dst: '192.168.129.10', protocol: 'tcp', dport: 80 },
      ctx,
      0x4000,
    ).action,
    'ACCEPT',
  );
  assert.equal(
    evaluateFilter(
      t,
      'FORWARD',
      { src: '10.231.209.50', dst: '192.168.129.10', protocol: 'tcp', dport: 80 },
      { ...ctx, ctstates: ['ESTABLISHED'] },
    ).action,
    'ACCEPT',
  );
});
