import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyJsonPatch, PatchError } from '../../../cluster/apiserver/patch/json-patch.js';
import { applyMergePatch } from '../../../cluster/apiserver/patch/merge-patch.js';
import { applyStrategicMergePatch } from '../../../cluster/apiserver/patch/strategic-merge-patch.js';
import { patchMetaFor } from '../../../cluster/apiserver/patch/patch-meta.js';

const deployment = () => ({
  metadata: { name: 'd', labels: { a: '1' }, finalizers: ['x'] },
  spec: {
    replicas: 1,
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%' } },
    template: {
      spec: {
        containers: [
          {
            name: 'app',
            image: 'v1',
            ports: [{ containerPort: 80 }, { containerPort: 81 }],
            env: [{ name: 'A', value: '1' }],
          },
          { name: 'side', image: 's1' },
        ],
        volumes: [{ name: 'data', emptyDir: {} }],
      },
    },
  },
});

test('json patch: every op, and a failing test changes nothing', () => {
  const doc = { a: { b: [1, 2] }, c: 'x' };
  const out = applyJsonPatch(doc, [
    { op: 'add', path: '/a/b/-', value: 3 },
    { op: 'replace', path: '/c', value: 'y' },
    { op: 'copy', from: '/c', path: '/d' },
    { op: 'move', from: '/d', path: '/e' },
    { op: 'remove', path: '/a/b/0' },
    { op: 'test', path: '/e', value: 'y' },
    { op: 'add', path: '/k~1v', value: 1 },
  ]);
  assert.deepEqual(out, { a: { b: [2, 3] }, c: 'y', e: 'y', 'k/v': 1 });
  assert.deepEqual(doc, { a: { b: [1, 2] }, c: 'x' });
  assert.throws(() => applyJsonPatch(doc, [{ op: 'test', path: '/c', value: 'z' }]), PatchError);
  assert.throws(() => applyJsonPatch(doc, [{ op: 'remove', path: '/nope' }]), PatchError);
  assert.throws(() => applyJsonPatch(doc, { op: 'add' }), PatchError);
});

test("json patch errors name the operation and path as kube's do, never the document; __proto__ is refused", () => {
  const doc = { spec: { secret: 'do-not-echo' }, l: [1] };
  const msg = (patch: unknown) => {
    try {
      applyJsonPatch(doc, patch);
    } catch (e) {
      assert.ok(e instanceof PatchError, String(e));
      assert.doesNotMatch(e.message, /do-not-echo/);
      return e.message;
    }
    assert.fail('no error');
  };
  assert.equal(
    msg([{ op: 'test', path: '/spec/secret', value: 'x' }]),
    'testing value /spec/secret failed: test failed',
  );
  assert.equal(msg([{ op: 'remove', path: '/nope' }]), 'remove operation does not apply: doc is missing path: "/nope"');
  assert.equal(
    msg([{ op: 'move', from: '/gone', path: '/x' }]),
    'move operation does not apply: doc is missing from path: "/gone"',
  );
  assert.equal(msg([{ op: 'frob', path: '/x' }]), 'Unexpected kind: frob');
  assert.match(msg([{ op: 'add', path: '/l/5', value: 1 }]), /out of bounds/);
  assert.match(msg([{ op: 'add', path: '/__proto__/polluted', value: 1 }]), /__proto__/);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  // A failure in the middle leaves the input as it was.
  msg([
    { op: 'replace', path: '/spec/secret', value: 'changed' },
    { op: 'remove', path: '/nope' },
  ]);
  assert.equal(doc.spec.secret, 'do-not-echo');
});

test('merge patch: null deletes, lists replace', () => {
  assert.deepEqual(applyMergePatch({ a: 1, b: { c: 2, d: 3 }, l: [1, 2] }, { a: null, b: { c: 9 }, l: [3] }), {
    b: { c: 9, d: 3 },
    l: [3],
  });
});

test('strategic merge: containers merge by name, ports by containerPort, env by name', () => {
  const out = applyStrategicMergePatch(
    deployment(),
    {
      spec: {
        template: {
          spec: {
            containers: [
              { name: 'app', image: 'v2', env: [{ name: 'B', value: '2' }] },
              { name: 'new', image: 'n' },
            ],
          },
        },
      },
    },
    patchMetaFor('deployments'),
  );
  const cs = out.spec.template.spec.containers;
  assert.deepEqual(
    cs.map((c: any) => c.name),
    ['app', 'side', 'new'],
  );
  assert.equal(cs[0].image, 'v2');
  assert.deepEqual(cs[0].ports, [{ containerPort: 80 }, { containerPort: 81 }]);
  assert.deepEqual(cs[0].env, [
    { name: 'A', value: '1' },
    { name: 'B', value: '2' },
  ]);
});

test('strategic merge directives: $patch delete/replace, $setElementOrder, $retainKeys, $deleteFromPrimitiveList', () => {
  const meta = patchMetaFor('deployments');
  const del = applyStrategicMergePatch(
    deployment(),
    { spec: { template: { spec: { containers: [{ name: 'side', $patch: 'delete' }] } } } },
    meta,
  );
  assert.deepEqual(
    del.spec.template.spec.containers.map((c: any) => c.name),
    ['app'],
  );
  const rep = applyStrategicMergePatch(
    deployment(),
    { spec: { template: { spec: { containers: [{ name: 'only', image: 'o' }, { $patch: 'replace' }] } } } },
    meta,
  );
  assert.deepEqual(rep.spec.template.spec.containers, [{ name: 'only', image: 'o' }]);
  const order = applyStrategicMergePatch(
    deployment(),
    { spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'side' }, { name: 'app' }] } } } },
    meta,
  );
  assert.deepEqual(
    order.spec.template.spec.containers.map((c: any) => c.name),
    ['side', 'app'],
  );
  const retain = applyStrategicMergePatch(
    deployment(),
    { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } },
    meta,
  );
  assert.deepEqual(retain.spec.strategy, { type: 'Recreate' });
  const prim = applyStrategicMergePatch(
    deployment(),
    { metadata: { '$deleteFromPrimitiveList/finalizers': ['x'], labels: { a: null, b: '2' } } },
    meta,
  );
  assert.deepEqual(prim.metadata.finalizers, []);
  assert.deepEqual(prim.metadata.labels, { b: '2' });
  const fin = applyStrategicMergePatch(deployment(), { metadata: { finalizers: ['y'] } }, meta);
  assert.deepEqual(fin.metadata.finalizers, ['x', 'y']);
});

test('strategic merge: list without merge key replaces; element without merge key is an error', () => {
  const out = applyStrategicMergePatch(
    { spec: { tolerations: [{ key: 'a' }] } },
    { spec: { tolerations: [{ key: 'b' }] } },
    patchMetaFor('pods'),
  );
  assert.deepEqual(out.spec.tolerations, [{ key: 'b' }]);
  assert.throws(
    () =>
      applyStrategicMergePatch(
        deployment(),
        { spec: { template: { spec: { containers: [{ image: 'x' }] } } } },
        patchMetaFor('deployments'),
      ),
    /merge key/,
  );
});
