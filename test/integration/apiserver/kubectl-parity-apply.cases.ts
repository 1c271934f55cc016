// kubectl parity, part 2: apply (client and server side), diff, patch (strategic, merge, json),
// edit, replace, label and annotate, on one ConfigMap and the objects part 1 created.
import assert from 'node:assert/strict';
import { api, apis, type ParityCase } from './kubectl-parity.js';

const CM = (data: string) => `apiVersion: v1
kind: ConfigMap
metadata:
  name: applied
data:
${data}`;

export const applyCases: ParityCase[] = [
  {
    name: 'apply (client side): created',
    args: (c) => ['apply', '-f', c.file('cm.yaml', CM('  k: v1\n'))],
    out: /^configmap\/applied created$/m,
  },
  {
    name: 'apply (client side): configured',
    args: (c) => ['apply', '-f', c.file('cm.yaml', CM('  k: v2\n'))],
    out: /^configmap\/applied configured$/m,
    effect: async (c) => {
      const cm = await c.get(api('configmaps/applied'));
      assert.equal(cm.data.k, 'v2');
      assert.match(cm.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'], /"v2"/);
    },
  },
  {
    name: 'apply (client side): unchanged',
    args: (c) => ['apply', '-f', c.file('cm.yaml', CM('  k: v2\n'))],
    out: /^configmap\/applied unchanged$/m,
  },
  { name: 'diff: no change exits 0', args: (c) => ['diff', '-f', c.file('cm.yaml', CM('  k: v2\n'))], out: /^$/ },
  {
    name: 'diff: a change exits 1 and shows it',
    args: (c) => ['diff', '-f', c.file('cm.yaml', CM('  k: v3\n'))],
    exit: 1,
    out: [/^-\s+k: v2$/m, /^\+\s+k: v3$/m],
  },
  {
    name: 'apply --server-side (migrates from client-side apply)',
    args: (c) => ['apply', '--server-side', '-f', c.file('cm.yaml', CM('  k: v3\n  extra: e\n'))],
    out: /^configmap\/applied serverside-applied$/m,
    effect: async (c) => {
      const cm = await c.get(api('configmaps/applied'));
      assert.deepEqual(cm.data, { k: 'v3', extra: 'e' });
      assert.ok(cm.metadata.managedFields.some((m: any) => m.manager === 'kubectl' && m.operation === 'Apply'));
    },
  },
  {
    name: 'apply --server-side: a conflict with another manager',
    args: (c) => ['apply', '--server-side', '--field-manager=other', '-f', c.file('cm2.yaml', CM('  k: other\n'))],
    exit: 1,
    out: /conflict with "kubectl"/,
  },
  {
    name: 'apply --server-side --force-conflicts',
    args: (c) => [
      'apply',
      '--server-side',
      '--force-conflicts',
      '--field-manager=other',
      '-f',
      c.file('cm2.yaml', CM('  k: other\n')),
    ],
    out: /^configmap\/applied serverside-applied$/m,
    effect: async (c) => assert.equal((await c.get(api('configmaps/applied'))).data.k, 'other'),
  },
  {
    name: 'patch (strategic merge)',
    args: [
      'patch',
      'deployment',
      'web',
      '-p',
      '{"spec":{"template":{"spec":{"containers":[{"name":"nginx","env":[{"name":"A","value":"1"}]}]}}}}',
    ],
    out: /^deployment\.apps\/web patched$/m,
    effect: async (c) => {
      const d = await c.get(apis('apps/v1', 'deployments/web'));
      assert.equal(d.spec.template.spec.containers[0].image, 'nginx:1.25');
      assert.deepEqual(d.spec.template.spec.containers[0].env, [{ name: 'A', value: '1' }]);
    },
  },
  {
    name: 'patch --type=merge',
    args: ['patch', 'configmap', 'cfg', '--type=merge', '-p', '{"data":{"c":"3"}}'],
    out: /^configmap\/cfg patched$/m,
    effect: async (c) => assert.deepEqual((await c.get(api('configmaps/cfg'))).data, { a: '1', b: '2', c: '3' }),
  },
  {
    name: 'patch --type=json',
    args: ['patch', 'configmap', 'cfg', '--type=json', '-p', '[{"op":"remove","path":"/data/a"}]'],
    out: /^configmap\/cfg patched$/m,
    effect: async (c) => assert.deepEqual((await c.get(api('configmaps/cfg'))).data, { b: '2', c: '3' }),
  },
  {
    name: 'edit (EDITOR is a script)',
    args: ['edit', 'configmap', 'cfg'],
    env: (c) => ({ EDITOR: c.file('editor.sh', '#!/bin/sh\nsed -i \'s/^  b: "2"$/  b: "22"/\' "$1"\n', 0o755) }),
    out: /^configmap\/cfg edited$/m,
    effect: async (c) => assert.equal((await c.get(api('configmaps/cfg'))).data.b, '22'),
  },
  {
    name: 'replace -f',
    args: (c) => [
      'replace',
      '-f',
      c.file('replace.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  only: one\n'),
    ],
    out: /^configmap\/cfg replaced$/m,
    effect: async (c) => assert.deepEqual((await c.get(api('configmaps/cfg'))).data, { only: 'one' }),
  },
  {
    name: 'label',
    args: ['label', 'deployment', 'web', 'tier=frontend'],
    out: /^deployment\.apps\/web labeled$/m,
    effect: async (c) =>
      assert.equal((await c.get(apis('apps/v1', 'deployments/web'))).metadata.labels.tier, 'frontend'),
  },
  {
    name: 'label --overwrite',
    args: ['label', '--overwrite', 'deployment', 'web', 'tier=edge'],
    out: /^deployment\.apps\/web labeled$/m,
  },
  {
    name: 'label removal',
    args: ['label', 'deployment', 'web', 'tier-'],
    out: /^deployment\.apps\/web unlabeled$/m,
    effect: async (c) =>
      assert.equal((await c.get(apis('apps/v1', 'deployments/web'))).metadata.labels.tier, undefined),
  },
  {
    name: 'annotate',
    args: ['annotate', 'deployment', 'web', 'note=hello'],
    out: /^deployment\.apps\/web annotated$/m,
    effect: async (c) =>
      assert.equal((await c.get(apis('apps/v1', 'deployments/web'))).metadata.annotations.note, 'hello'),
  },
];
