// Server-side apply's pieces without a server: field sets in their FieldsV1 spelling and order,
// the type model read from the vendored spec (list types, map keys, key defaults), merge order of
// associative lists, pruning that keeps fields nobody listed, and the field manager's bookkeeping.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FieldSet, pathString } from '../../../cluster/apiserver/apply/field-set.js';
import { FieldManager, ConflictError } from '../../../cluster/apiserver/apply/field-manager.js';
import { KindTypeRegistry } from '../../../cluster/apiserver/apply/kind-types.js';
import { ResourceCatalog } from '../../../cluster/apiserver/resources.js';

const catalog = new ResourceCatalog();
const deployments = catalog.find('apps', 'v1', 'deployments')!;
const configmaps = catalog.find('', 'v1', 'configmaps')!;
const registry = new KindTypeRegistry();

test('FieldsV1 round trip keeps SMD order: "." first, fields, then keys', () => {
  const v1 = {
    'f:spec': {
      'f:containers': { 'k:{"name":"b"}': { '.': {}, 'f:name': {} }, 'k:{"name":"a"}': { '.': {}, 'f:image': {} } },
      'f:replicas': {},
    },
    'f:metadata': { 'f:labels': { '.': {}, 'f:x': {} } },
  };
  const s = FieldSet.fromFieldsV1(v1);
  assert.equal(
    JSON.stringify(s.toFieldsV1()),
    '{"f:metadata":{"f:labels":{".":{},"f:x":{}}},"f:spec":{"f:containers":{"k:{\\"name\\":\\"a\\"}":{".":{},"f:image":{}},"k:{\\"name\\":\\"b\\"}":{".":{},"f:name":{}}},"f:replicas":{}}}',
  );
  assert.deepEqual(s.paths().map(pathString).slice(0, 4), [
    '.metadata.labels',
    '.metadata.labels.x',
    '.spec.containers[name="a"]',
    '.spec.containers[name="a"].image',
  ]);
});

test('list types and keys come from the spec, with key defaults (protocol TCP)', () => {
  const k = registry.get(deployments);
  const d = {
    spec: { template: { spec: { containers: [{ name: 'c', image: 'i', ports: [{ containerPort: 80 }] }] } } },
  };
  const set = k.typed.toFieldSet(d, k.root);
  assert.ok(
    set.has([
      'f:spec',
      'f:template',
      'f:spec',
      'f:containers',
      'k:{"name":"c"}',
      'f:ports',
      'k:{"containerPort":80,"protocol":"TCP"}',
    ]),
  );
});

test('merging associative lists keeps live order, applied items merged in place, new ones after (SMD order)', () => {
  const k = registry.get(deployments);
  const c = (name: string, image = 'x') => ({ name, image });
  const live = { spec: { template: { spec: { containers: [c('a'), c('b'), c('c')] } } } };
  const cfg = { spec: { template: { spec: { containers: [c('b', 'new'), c('d')] } } } };
  const out = k.typed.merge(live, cfg, k.root) as any;
  assert.deepEqual(out.spec.template.spec.containers, [c('a'), c('b', 'new'), c('c'), c('d')]);
});

test('pruning removes what only the manager had, keeping fields it never listed', () => {
  const k = registry.get(configmaps);
  const merged = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'n', labels: { a: '1' } }, data: { k: 'v' } };
  const last = FieldSet.fromFieldsV1({ 'f:metadata': { 'f:labels': { 'f:a': {} } }, 'f:data': { 'f:k': {} } });
  const out = k.typed.prune(merged, k.typed.namedFieldsAsMembers(last, k.root), new FieldSet(), k.root);
  assert.deepEqual(out, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'n' } });
});

test('field manager: Update entries take changed fields from others; apply conflicts name the path', () => {
  let now = Date.parse('2026-01-01T00:00:00Z');
  const fm = new FieldManager((r) => registry.get(r), { now: () => now });
  const created = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'n' }, data: { a: '1', b: '2' } };
  created.metadata = {
    ...created.metadata,
    managedFields: fm.update(configmaps, undefined, created, 'creator', '', undefined),
  } as any;
  assert.deepEqual(created.metadata, {
    name: 'n',
    managedFields: [
      {
        manager: 'creator',
        operation: 'Update',
        apiVersion: 'v1',
        time: '2026-01-01T00:00:00Z',
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:data': { '.': {}, 'f:a': {}, 'f:b': {} } },
      },
    ],
  });
  now += 60_000;
  const next = structuredClone(created);
  next.data.a = 'changed';
  const mf = fm.update(configmaps, created, next, 'editor', '', undefined) as any[];
  assert.deepEqual(
    mf.map((e) => [e.manager, e.fieldsV1]),
    [
      ['creator', { 'f:data': { '.': {}, 'f:b': {} } }],
      ['editor', { 'f:data': { 'f:a': {} } }],
    ],
  );
  const live = { ...next, metadata: { ...next.metadata, managedFields: mf } };
  assert.throws(
    () =>
      fm.apply(
        configmaps,
        live,
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'n' }, data: { b: 'x' } },
        'applier',
        false,
        '',
      ),
    (err: unknown) =>
      err instanceof ConflictError &&
      err.message === 'Apply failed with 1 conflict: conflict with "creator" using v1: .data.b',
  );
  const applied = fm.apply(
    configmaps,
    live,
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'n' }, data: { b: 'x' } },
    'applier',
    true,
    '',
  );
  assert.deepEqual(
    (applied.metadata!.managedFields as any[]).map((e) => [e.manager, e.operation]),
    [
      ['applier', 'Apply'],
      ['creator', 'Update'],
      ['editor', 'Update'],
    ],
  );
  assert.deepEqual(
    (applied.metadata!.managedFields as any[])[1].fieldsV1,
    { 'f:data': {} },
    'creator keeps .data itself',
  );
});
