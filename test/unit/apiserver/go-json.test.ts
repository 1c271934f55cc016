// kubewire's JSON encoding against what the Go types produce: k8s.io/api's own serialization
// fixtures (test/fixtures/go-json, README there) for field order, and the zero values Go writes for
// fields without `omitempty` on a freshly created workload (k8s.io/api v0.32.9 apps/v1/types.go and
// core/v1/types.go: ReplicaSetStatus.Replicas `json:"replicas"`, DaemonSetStatus's four counters,
// StatefulSetStatus.Replicas/AvailableReplicas, ReplicationControllerStatus.Replicas).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeForWire, goEncode } from '../../../cluster/apiserver/encoding/go-json.js';
import { ApiError, notFound } from '../../../cluster/apiserver/status.js';

const root = process.env.KUBEWIRE_ROOT ?? join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const dir = join(root, 'test', 'fixtures', 'go-json');

/** Reverses every object's key order, so that only the encoder can restore Go's. */
function shuffle(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(shuffle);
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.entries(v)
        .reverse()
        .map(([k, x]) => [k, shuffle(x)]),
    );
  return v;
}

for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
  test(`field order of ${file} as the Go types encode it`, () => {
    const golden = readFileSync(join(dir, file), 'utf8');
    const expected = JSON.stringify(JSON.parse(golden));
    const ours = encodeForWire(shuffle(JSON.parse(golden)));
    assert.equal(ours, `${expected.replace(/[<>&]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}\n`);
  });
}

const meta = {
  name: 'web',
  namespace: 'default',
  uid: 'u1',
  resourceVersion: '5',
  generation: 1,
  creationTimestamp: '2026-01-01T00:00:00Z',
};
const metaJson =
  '"metadata":{"name":"web","namespace":"default","uid":"u1","resourceVersion":"5","generation":1,"creationTimestamp":"2026-01-01T00:00:00Z"}';
const template = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } };
// PodTemplateSpec.metadata.creationTimestamp is a metav1.Time (a struct: omitempty never drops
// it, its MarshalJSON writes null); Container.resources is a struct, so `{}` is written.
const templateJson =
  '"template":{"metadata":{"creationTimestamp":null,"labels":{"app":"web"}},"spec":{"containers":[{"name":"c","image":"nginx","resources":{}}]}}';

test('a created ReplicaSet, DaemonSet, StatefulSet and ReplicationController carry the zero counters', () => {
  const sel = { matchLabels: { app: 'web' } };
  const cases: [unknown, string][] = [
    [
      {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: meta,
        spec: { replicas: 1, selector: sel, template },
        status: {},
      },
      `{"kind":"ReplicaSet","apiVersion":"apps/v1",${metaJson},"spec":{"replicas":1,"selector":{"matchLabels":{"app":"web"}},${templateJson}},"status":{"replicas":0}}\n`,
    ],
    [
      { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: meta, spec: { selector: sel, template }, status: {} },
      `{"kind":"DaemonSet","apiVersion":"apps/v1",${metaJson},"spec":{"selector":{"matchLabels":{"app":"web"}},${templateJson},"updateStrategy":{}},"status":{"currentNumberScheduled":0,"numberMisscheduled":0,"desiredNumberScheduled":0,"numberReady":0}}\n`,
    ],
    [
      {
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        metadata: meta,
        spec: { selector: sel, template, serviceName: '' },
        status: {},
      },
      `{"kind":"StatefulSet","apiVersion":"apps/v1",${metaJson},"spec":{"selector":{"matchLabels":{"app":"web"}},${templateJson},"serviceName":"","updateStrategy":{}},"status":{"replicas":0,"availableReplicas":0}}\n`,
    ],
    [
      {
        apiVersion: 'v1',
        kind: 'ReplicationController',
        metadata: meta,
        spec: { selector: { app: 'web' }, template },
        status: {},
      },
      `{"kind":"ReplicationController","apiVersion":"v1",${metaJson},"spec":{"selector":{"app":"web"},${templateJson}},"status":{"replicas":0}}\n`,
    ],
  ];
  for (const [obj, want] of cases) assert.equal(encodeForWire(obj), want);
});

test('omitempty drops empty values, maps are sorted, unknown kinds pass unchanged', () => {
  const d = goEncode({
    kind: 'Deployment',
    apiVersion: 'apps/v1',
    metadata: { labels: { b: '1', a: '2' }, annotations: {} },
    spec: { paused: false, template },
    status: { replicas: 0, conditions: [] },
  }) as Record<string, any>;
  assert.deepEqual(Object.keys(d.metadata.labels), ['a', 'b']);
  assert.equal('annotations' in d.metadata, false);
  assert.equal('paused' in d.spec, false);
  assert.deepEqual(d.status, {});
  const cr = { apiVersion: 'apps.example.com/v1', kind: 'Deployment', spec: { z: 0, a: [] } };
  assert.equal(goEncode(cr), cr);
});

test('Status bodies as kube-apiserver writes them', () => {
  // metav1.Status: kind, apiVersion, metadata (ListMeta, always written), status, message,
  // reason, details, code; the serializer's json.Encoder ends the body with a newline.
  assert.equal(
    encodeForWire(notFound('pods', '', 'x').toStatus()),
    '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods \\"x\\" not found","reason":"NotFound","details":{"name":"x","kind":"pods"},"code":404}\n',
  );
  assert.equal(
    encodeForWire(new ApiError(500, '', 'a <b> & c').toStatus()),
    '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"a \\u003cb\\u003e \\u0026 c","code":500}\n',
  );
});
