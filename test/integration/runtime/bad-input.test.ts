// Bad topologies are rejected by `kubewire up` with a one-line error naming file, field and problem,
// and nothing is created: no namespace with the lab's prefix, no state folder.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { namespacesWithPrefix, TestLab, TWO_NODES } from './harness.js';

const lab = new TestLab(TWO_NODES);
const dir = mkdtempSync(join(tmpdir(), 'kubewire-bad-'));
after(async () => {
  await lab.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const cases: [string, (y: string) => string, RegExp][] = [
  [
    'overlapping subnets',
    (y) => y.replace('subnet: 192.168.132.0/24', 'subnet: 192.168.128.128/25'),
    /nodes\[1\]\.subnet: .*overlaps the subnet of nodes\[0\]/,
  ],
  [
    'a pod IP outside its node subnet',
    (y) => y.replace('kubewire.io/ip: 192.168.128.10', 'kubewire.io/ip: 192.168.130.10'),
    /nodes\[0\]\.pods\[0\]\.metadata\.annotations\["kubewire\.io\/ip"\]: 192\.168\.130\.10 is outside/,
  ],
  ['an unknown node field', (y) => y.replace('  - name: node5', '  - node: node5'), /nodes\[1\]\.node: unknown field/],
  [
    'a name with ;',
    (y) => y.replace('name: node1', 'name: "node1;reboot"'),
    /nodes\[0\]\.name: "node1;reboot" is not a valid node name/,
  ],
  [
    'a name with $(…)',
    (y) => y.replace('name: node5', 'name: "$(touch /tmp/pwned)"'),
    /nodes\[1\]\.name: .* is not a valid node name/,
  ],
  [
    'a name with spaces',
    (y) => y.replace('name: tools', 'name: "my tools"'),
    /nodes\[1\]\.pods\[1\]\.metadata\.name: "my tools" is not a valid Kubernetes name/,
  ],
  [
    'a node name over 15 characters',
    (y) => y.replace('name: node5', 'name: node5-is-far-too-long'),
    /nodes\[1\]\.name: .*longer than 15 characters/,
  ],
  [
    'a bridge name too long for its host port',
    (y) => y.replace('name: docker0', 'name: dockerbridge0'),
    /nodes\[1\]\.bridge\.name/,
  ],
  [
    'malformed YAML',
    (y) => y.replace('    subnet: 192.168.128.0/24', '    subnet: [192.168.128.0/24'),
    /bad\.yaml:\d+:\d+: malformed YAML/,
  ],
];

for (const [name, mutate, expected] of cases) {
  test(`rejected with nothing created: ${name}`, async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, mutate(TWO_NODES));
    const r = await lab.cli(['up', file]);
    assert.equal(r.exitCode, 1, r.stdout);
    assert.match(r.stderr, expected);
    assert.equal(r.stderr.trim().split('\n').length, 1, 'one line');
    assert.ok(r.stderr.includes(file), 'names the file');
    assert.deepEqual(namespacesWithPrefix(lab.prefix), []);
    assert.ok(!existsSync(join(lab.stateBase, 'two')), 'no state folder');
    assert.ok(!existsSync('/tmp/pwned'));
  });
}

test('a bad --prefix is rejected before anything happens', async () => {
  const file = join(dir, 'good.yaml');
  writeFileSync(file, TWO_NODES);
  const r = await lab.cli(['up', file, '--prefix', 'kw-$(id)-']);
  assert.equal(r.exitCode, 2, r.stderr); // the command line's fault, as any usage error
  assert.match(r.stderr, /^kubewire up: --prefix: 'kw-\$\(id\)-' must be "kw-"/);
  assert.deepEqual(namespacesWithPrefix(lab.prefix), []);
});

test('helpers themselves reject hostile arguments before acting', async () => {
  for (const [script, args] of [
    ['netns-up.sh', [lab.prefix, `${lab.prefix}x;id`]],
    ['attach.sh', [`${lab.prefix}a`, 'eth0$(id)', `${lab.prefix}b`, 'p', '1500']],
    [
      'vxlan.sh',
      [
        `${lab.prefix}a`,
        'flannel.1',
        '99999999',
        '10.0.0.1',
        'eth0',
        '8472',
        '1450',
        '02:00:00:00:00:01',
        '10.1.0.0/32',
      ],
    ],
    ['sweep.sh', ['kw-t12']],
    ['sweep.sh', ['other-']],
    ['iptables-apply.sh', [`${lab.prefix}a`, 'nat', 'POSTROUTING', 'POSTROUTING']],
  ] as const) {
    await assert.rejects(
      lab.driver.script(script, [...args]),
      /invalid|must|usage|rejected|not|range/,
      `${script} ${args.join(' ')}`,
    );
  }
  assert.deepEqual(namespacesWithPrefix(lab.prefix), []);
});
