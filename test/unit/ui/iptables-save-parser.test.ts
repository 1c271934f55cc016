// iptables-save -c output recorded in a namespace with kube-proxy-style chains after five requests
// to the service IP (test/fixtures/iptables/node-kube-proxy.save.txt).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseIptablesSave } from '../../../server/iptables/iptables-save-parser.js';
import { iptablesRequestValidators } from '../../../common/iptables-contract.js';

const root = process.env.KUBEWIRE_ROOT ?? join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const text = readFileSync(join(root, 'test', 'fixtures', 'iptables', 'node-kube-proxy.save.txt'), 'utf8');

test('reads tables, chain policies and counters', () => {
  const tables = parseIptablesSave(text);
  assert.deepEqual(
    tables.map((t) => t.name),
    ['filter', 'nat'],
  );
  const nat = tables.find((t) => t.name === 'nat')!;
  const post = nat.chains.find((c) => c.name === 'POSTROUTING')!;
  assert.deepEqual([post.policy, post.packets, post.bytes], ['ACCEPT', 5, 300]);
  assert.equal(nat.chains.find((c) => c.name === 'KUBE-SERVICES')!.policy, undefined);
  const filter = tables.find((t) => t.name === 'filter')!;
  assert.equal(filter.chains.find((c) => c.name === 'FORWARD')!.policy, 'DROP');
});

test('follows OUTPUT → KUBE-SERVICES → KUBE-SVC → KUBE-SEP → DNAT with the packets that took each step', () => {
  const nat = parseIptablesSave(text).find((t) => t.name === 'nat')!;
  const chain = (n: string) => nat.chains.find((c) => c.name === n)!;
  const out = chain('OUTPUT').rules[0]!;
  assert.deepEqual([out.jump, out.packets, out.comment], ['KUBE-SERVICES', 5, 'kubernetes service portals']);
  const svc = chain('KUBE-SERVICES').rules.find((r) => r.comment === 'default/kubia: cluster IP')!;
  assert.equal(svc.jump, 'KUBE-SVC-L65ENXXZWWSAPRCR');
  assert.match(svc.spec, /^-d 192\.168\.199\.65\/32 -p tcp/);
  const seps = chain('KUBE-SVC-L65ENXXZWWSAPRCR').rules;
  assert.deepEqual(
    seps.map((r) => r.jump),
    ['KUBE-SEP-AAAAAAAAAAAAAAAA', 'KUBE-SEP-BBBBBBBBBBBBBBBB'],
  );
  assert.equal(seps[0]!.packets + seps[1]!.packets, 5);
  const dnat = chain('KUBE-SEP-BBBBBBBBBBBBBBBB').rules[1]!;
  assert.equal(dnat.target, 'DNAT');
  assert.equal(dnat.jump, undefined);
  assert.match(dnat.spec, /--to-destination 192\.168\.129\.14:8080$/);
});

test('a line that is not iptables-save -c output is an error naming the line', () => {
  assert.throws(
    () => parseIptablesSave('*nat\n:OUTPUT ACCEPT [0:0]\n-A OUTPUT -j ACCEPT\nCOMMIT\n'),
    /line 3: cannot read '-A OUTPUT -j ACCEPT' \(was it saved with -c\?\)/,
  );
  assert.throws(() => parseIptablesSave('*nat\n[0:0] -A NOPE -j ACCEPT\n'), /line 2: rule for undeclared chain NOPE/);
  assert.throws(() => parseIptablesSave(':OUTPUT ACCEPT [0:0]\n'), /before any \*table/);
});

test('iptables.get validates the namespace and the table names', () => {
  const v = iptablesRequestValidators['iptables.get'];
  assert.deepEqual(v({ namespace: 'kw-node1', tables: ['nat', 'filter', 'nat'] }, 'q'), {
    namespace: 'kw-node1',
    tables: ['nat', 'filter'],
  });
  assert.throws(() => v({ namespace: 'kw-node1', tables: ['security'] }, 'q'), /q.tables\[0\]/);
  assert.throws(() => v({ namespace: 'kw-node1', tables: [] }, 'q'), /q.tables/);
  assert.throws(() => v({ namespace: 'kw-node1;x', tables: ['nat'] }, 'q'), /q.namespace/);
});
