// One validator per kind of name (common/names.ts), and the same verdicts from native-scripts/lib.sh,
// which checks every name the runtime hands a script again.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { LAB_PREFIX as UI_LAB_PREFIX } from '../../../common/lab-names.js';
import {
  isDnsLabel,
  isDnsSubdomain,
  isInterfaceName,
  isLabName,
  isLabNamespace,
  isLabPrefix,
  isNamespaceName,
} from '../../../common/names.js';

const root = process.env.KUBEWIRE_ROOT ?? join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');

test('DNS-1123 labels and subdomains, with their length limits', () => {
  for (const ok of ['a', 'kubia', 'node5', '0abc', 'a-b', 'a'.repeat(63)]) assert.ok(isDnsLabel(ok), ok);
  for (const bad of ['', 'A', '-a', 'a-', 'a.b', 'a_b', 'a'.repeat(64), 'ä']) assert.ok(!isDnsLabel(bad), bad);
  const long = Array.from({ length: 4 }, () => 'a'.repeat(63)).join('.'); // 255
  for (const ok of ['a.b', 'kube-dns.kube-system', 'x', long.slice(2)]) assert.ok(isDnsSubdomain(ok), ok);
  for (const bad of ['a..b', '.a', 'a.', 'A.b', long, 'a b']) assert.ok(!isDnsSubdomain(bad), bad);
});

test('lab names, prefixes and namespaces', () => {
  for (const ok of ['article', 'a', 'two-node', 'a'.repeat(32)]) assert.ok(isLabName(ok), ok);
  for (const bad of ['', 'Article', '-a', 'a'.repeat(33), 'a/b', '..']) assert.ok(!isLabName(bad), bad);
  // kw-e2e-up- is a prefix `up` builds; the UI server used to refuse it (it had its own pattern).
  for (const ok of ['kw-', 'kw-ui-', 'kw-t1a2b3c-', 'kw-e2e-up-', `kw-${'a'.repeat(19)}-`]) {
    assert.ok(isLabPrefix(ok), ok);
    assert.ok(UI_LAB_PREFIX.test(ok), ok);
  }
  for (const bad of ['', 'kw', 'kw-a', 'kwa-', 'KW-', 'kw-A-', `kw-${'a'.repeat(20)}-`, 'kw-a b-'])
    assert.ok(!isLabPrefix(bad), bad);
  for (const ok of ['kw-node1', 'kw-default_kubia', 'kw-ui-underlay']) assert.ok(isLabNamespace(ok), ok);
  for (const bad of ['node1', 'kw-', 'kw-Node', `kw-${'a'.repeat(198)}`, 'kw-a;b'])
    assert.ok(!isLabNamespace(bad), bad);
  for (const ok of ['kw-node1', 'cni-1234', 'A.b_c']) assert.ok(isNamespaceName(ok), ok);
  for (const bad of ['', '-x', '.', 'a/b', 'a b']) assert.ok(!isNamespaceName(bad), bad);
});

test('interface names: at most 15 characters, no odd bytes', () => {
  for (const ok of ['eth0', 'flannel.1', 'cni0', 'veth12345678', 'kw-node5-eth0x']) assert.ok(isInterfaceName(ok), ok);
  for (const bad of ['', 'a'.repeat(16), 'eth 0', 'eth0;', 'eth/0']) assert.ok(!isInterfaceName(bad), bad);
});

test("lib.sh's patterns give the same verdicts for the names it checks again", () => {
  const samples: [string, (s: string) => boolean, string[]][] = [
    ['KW_RE_IFNAME', isInterfaceName, ['eth0', 'flannel.1', 'a'.repeat(15), 'a'.repeat(16), 'eth 0', '']],
    ['KW_RE_NETNS', isLabNamespace, ['kw-node1', 'kw-default_kubia', 'node1', 'kw-', 'kw-Node', 'kw-a;b']],
    ['KW_RE_PREFIX', isLabPrefix, ['kw-', 'kw-ui-', 'kw-e2e-up-', `kw-${'a'.repeat(19)}-`]],
  ];
  for (const [re, ours, names] of samples) {
    const script = `source "$1"; shift; for n in "$@"; do if [[ $n =~ $${re} ]]; then echo 1; else echo 0; fi; done`;
    const out = execFileSync('bash', ['-c', script, 'bash', join(root, 'native-scripts', 'lib.sh'), ...names], {
      encoding: 'utf8',
    });
    const verdicts = out.trim().split('\n');
    names.forEach((n, i) => {
      // lib.sh's prefix pattern is the looser one: it must accept every prefix we accept.
      if (re === 'KW_RE_PREFIX') assert.equal(verdicts[i], '1', `${re} refuses ${n}`);
      else assert.equal(verdicts[i] === '1', ours(n), `${re} and common/names.ts disagree on '${n}'`);
    });
  }
});
