import { test } from 'node:test';
import assert from 'node:assert/strict';
import { linesAround, requestWholeTableCache } from '../../../cluster/proxy/iptables-restorer.js';

test('a block declaring many chains gets one read-only -S right after *table; others are left as they are', () => {
  const big = [
    '*nat',
    ...Array.from({ length: 5 }, (_, i) => `:KUBE-SEP-${i} - [0:0]`),
    ...Array.from({ length: 5 }, (_, i) => `-A KUBE-SEP-${i} -j ACCEPT`),
    'COMMIT',
  ];
  // Many rules but one chain: a partial sync rewriting KUBE-SERVICES.
  const manyRules = [
    '*filter',
    ':KUBE-SERVICES - [0:0]',
    ...Array.from({ length: 50 }, (_, i) => `-A KUBE-SERVICES -d 10.0.0.${i} -j REJECT`),
    'COMMIT',
  ];
  const text = [...manyRules, ...big, ''].join('\n');
  const out = requestWholeTableCache(text, 5);
  assert.equal(out, [...manyRules, '*nat', '-S', ...big.slice(1), ''].join('\n'));
  assert.equal(requestWholeTableCache(text, 6), text);
});

test('the -S goes after the jump rules inserted into built-in chains', () => {
  const block = [
    '*nat',
    ':KUBE-SERVICES - [0:0]',
    '-I PREROUTING 1 -j KUBE-SERVICES',
    '-I OUTPUT 1 -j KUBE-SERVICES',
    ':KUBE-SVC-A - [0:0]',
    '-A KUBE-SVC-A -j ACCEPT',
    'COMMIT',
    '',
  ];
  assert.deepEqual(requestWholeTableCache(block.join('\n'), 2).split('\n'), [
    ...block.slice(0, 4),
    '-S',
    ...block.slice(4),
  ]);
});

test('linesAround quotes the input lines iptables-restore complains about', () => {
  const text = '*nat\n:A - [0:0]\n-A A -j NOPE\nCOMMIT\n';
  assert.equal(linesAround(text, 'iptables-restore: line 3 failed'), '2: :A - [0:0] | 3: -A A -j NOPE | 4: COMMIT');
  assert.equal(linesAround(text, 'something else'), '');
});
