// Server-side apply and managedFields against the real kubectl 1.32 and @kubernetes/client-node:
// Update entries for every write (exact fieldsV1 of a `kubectl create deployment`, as
// kube-apiserver writes it), apply with conflicts worded as kube-apiserver words them, forced
// ownership transfer, pruning of fields a manager stops applying, and client-side apply's
// migration to server-side apply.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppsV1Api, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';
import { NO_KUBECTL, startApiServer, type Harness } from './harness.js';

const deployment = (name: string, replicas: number, image: string, extra = '') => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
${extra}spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      containers:
      - name: nginx
        image: ${image}
`;

// What kube-apiserver v1.32 records for `kubectl create deployment web --image=nginx:1.25 --replicas=2 --port=80`.
const CREATE_FIELDS = {
  'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
  'f:spec': {
    'f:progressDeadlineSeconds': {},
    'f:replicas': {},
    'f:revisionHistoryLimit': {},
    'f:selector': {},
    'f:strategy': { 'f:rollingUpdate': { '.': {}, 'f:maxSurge': {}, 'f:maxUnavailable': {} }, 'f:type': {} },
    'f:template': {
      'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
      'f:spec': {
        'f:containers': {
          'k:{"name":"nginx"}': {
            '.': {},
            'f:image': {},
            'f:imagePullPolicy': {},
            'f:name': {},
            'f:ports': {
              '.': {},
              'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {}, 'f:protocol': {} },
            },
            'f:resources': {},
            'f:terminationMessagePath': {},
            'f:terminationMessagePolicy': {},
          },
        },
        'f:dnsPolicy': {},
        'f:restartPolicy': {},
        'f:schedulerName': {},
        'f:securityContext': {},
        'f:terminationGracePeriodSeconds': {},
      },
    },
  },
};

describe('server-side apply', () => {
  before(() => {
    if (NO_KUBECTL) throw new Error(NO_KUBECTL);
  });
  let h: Harness;
  before(async () => {
    h = await startApiServer({ memory: true });
  });
  after(async () => {
    await h?.stop();
  });
  const ok = async (...args: string[]) => {
    const r = await h.kubectl(...args);
    assert.equal(r.exitCode, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const file = (name: string, text: string) => {
    const p = join(h.dir, name);
    writeFileSync(p, text);
    return p;
  };
  const managed = async (kind: string, name: string) =>
    parseYaml(await ok('get', kind, name, '-o', 'yaml', '--show-managed-fields')).metadata.managedFields as any[];

  test('kubectl create records an Update entry with the fields kube-apiserver records', async () => {
    await ok('create', 'deployment', 'web', '--image=nginx:1.25', '--replicas=2', '--port=80');
    const mf = await managed('deployment', 'web');
    assert.equal(mf.length, 1);
    assert.deepEqual(Object.keys(mf[0]), ['apiVersion', 'fieldsType', 'fieldsV1', 'manager', 'operation', 'time']);
    assert.equal(mf[0].manager, 'kubectl-create');
    assert.equal(mf[0].operation, 'Update');
    assert.equal(mf[0].apiVersion, 'apps/v1');
    assert.match(mf[0].time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.deepEqual(mf[0].fieldsV1, CREATE_FIELDS);
    // Key order of the raw JSON is the Go struct's (manager, operation, apiVersion, time, fieldsType, fieldsV1).
    const raw = await h.request('GET', '/apis/apps/v1/namespaces/default/deployments/web');
    assert.match(
      raw.text,
      /"managedFields":\[\{"manager":"kubectl-create","operation":"Update","apiVersion":"apps\/v1","time":"[^"]+","fieldsType":"FieldsV1","fieldsV1":\{"f:metadata":/,
    );
  });

  test('an apply body made circular by a YAML alias is a 400, and the apiserver keeps serving', async () => {
    const hdr = { 'Content-Type': 'application/apply-patch+yaml' };
    const r = await h.request('PATCH', '/api/v1/namespaces/default/configmaps/loop?fieldManager=me', {
      body: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: loop}\ndata: &a [*a]\n',
      headers: hdr,
    });
    assert.equal(r.status, 400, r.text);
    assert.match(r.json.message, /exceeded max depth/);
    assert.equal((await h.request('GET', '/api/v1/namespaces/default/configmaps/loop')).status, 404);
  });

  test("a conflicting apply is refused with kube-apiserver's message; --force-conflicts takes the fields over", async () => {
    const f = file('web.yaml', deployment('web', 3, 'nginx:1.26'));
    const r = await h.kubectl('apply', '--server-side', '-f', f);
    assert.equal(r.exitCode, 1);
    assert.match(
      r.stderr,
      /error: Apply failed with 2 conflicts: conflicts with "kubectl-create" using apps\/v1:\n- \.spec\.replicas\n- \.spec\.template\.spec\.containers\[name="nginx"\]\.image\n/,
    );
    const raw = await h.request('PATCH', '/apis/apps/v1/namespaces/default/deployments/web?fieldManager=tool', {
      body: '{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"replicas":5}}',
      headers: { 'Content-Type': 'application/apply-patch+yaml' },
    });
    assert.equal(raw.status, 409);
    assert.deepEqual(raw.json, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Apply failed with 1 conflict: conflict with "kubectl-create" using apps/v1: .spec.replicas',
      reason: 'Conflict',
      details: {
        causes: [
          {
            reason: 'FieldManagerConflict',
            message: 'conflict with "kubectl-create" using apps/v1',
            field: '.spec.replicas',
          },
        ],
      },
      code: 409,
    });
    assert.match(
      await ok('apply', '--server-side', '--force-conflicts', '-f', f),
      /deployment.apps\/web serverside-applied/,
    );
    const mf = await managed('deployment', 'web');
    assert.deepEqual(
      mf.map((e) => [e.manager, e.operation]),
      [
        ['kubectl', 'Apply'],
        ['kubectl-create', 'Update'],
      ],
    );
    assert.deepEqual(mf[0].fieldsV1, {
      'f:spec': {
        'f:replicas': {},
        'f:selector': {},
        'f:template': {
          'f:metadata': { 'f:labels': { 'f:app': {} } },
          'f:spec': { 'f:containers': { 'k:{"name":"nginx"}': { '.': {}, 'f:image': {}, 'f:name': {} } } },
        },
      },
    });
    assert.equal(mf[1].fieldsV1['f:spec']['f:replicas'], undefined, 'replicas moved to the applier');
    assert.ok(mf[1].fieldsV1['f:spec']['f:strategy'], 'the rest stays with kubectl-create');
    const again = await h.kubectl('apply', '--server-side', '-f', f);
    assert.equal(again.exitCode, 0, 'no conflict once owned');
  });

  test('another manager applying the same value co-owns it; a different value conflicts', async () => {
    const body = (replicas: number) =>
      JSON.stringify({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas } });
    const same = await h.request('PATCH', '/apis/apps/v1/namespaces/default/deployments/web?fieldManager=autoscaler', {
      body: body(3),
      headers: { 'Content-Type': 'application/apply-patch+yaml' },
    });
    assert.equal(same.status, 200, same.text);
    const owners = same.json.metadata.managedFields
      .filter((e: any) => e.fieldsV1['f:spec']?.['f:replicas'])
      .map((e: any) => e.manager);
    assert.deepEqual(owners.sort(), ['autoscaler', 'kubectl']);
    const diff = await h.request('PATCH', '/apis/apps/v1/namespaces/default/deployments/web?fieldManager=autoscaler', {
      body: body(4),
      headers: { 'Content-Type': 'application/apply-patch+yaml' },
    });
    assert.equal(diff.status, 409);
    assert.equal(diff.json.message, 'Apply failed with 1 conflict: conflict with "kubectl": .spec.replicas');
  });

  test('fields a manager stops applying are removed unless someone else owns them', async () => {
    await ok(
      'apply',
      '--server-side',
      '--field-manager=labeller',
      '-f',
      file(
        'l1.yaml',
        `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n  labels: {a: "1", b: "2"}\ndata: {k: v}\n`,
      ),
    );
    await ok(
      'apply',
      '--server-side',
      '--field-manager=labeller',
      '-f',
      file('l2.yaml', `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n  labels: {a: "1"}\ndata: {k: v}\n`),
    );
    const cm = JSON.parse(await ok('get', 'cm', 'cfg', '-o', 'json'));
    assert.deepEqual(cm.metadata.labels, { a: '1' });
    assert.deepEqual(cm.data, { k: 'v' });
    await ok('label', 'cm', 'cfg', 'c=3');
    await ok(
      'apply',
      '--server-side',
      '--field-manager=labeller',
      '-f',
      file('l3.yaml', `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n  labels: {a: "1", c: "3"}\n`),
    );
    await ok(
      'apply',
      '--server-side',
      '--field-manager=labeller',
      '-f',
      file('l4.yaml', `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n`),
    );
    const after = JSON.parse(await ok('get', 'cm', 'cfg', '-o', 'json', '--show-managed-fields'));
    assert.deepEqual(after.metadata.labels, { c: '3' }, "c is still kubectl-label's");
    assert.equal(after.data, undefined);
    assert.deepEqual(after.metadata.managedFields.find((e: any) => e.manager === 'kubectl-label').fieldsV1, {
      'f:metadata': { 'f:labels': { 'f:c': {} } },
    });
  });

  test('client-side apply, then kubectl apply --server-side takes over without conflicts', async () => {
    await ok('apply', '-f', file('csa1.yaml', deployment('csa', 1, 'nginx:1.25')));
    const mf = await managed('deployment', 'csa');
    assert.deepEqual(
      mf.map((e) => [e.manager, e.operation]),
      [['kubectl-client-side-apply', 'Update']],
    );
    assert.ok(mf[0].fieldsV1['f:metadata']['f:annotations']['f:kubectl.kubernetes.io/last-applied-configuration']);
    await ok('apply', '-f', file('csa2.yaml', deployment('csa', 2, 'nginx:1.25')));
    const r = await h.kubectl('apply', '--server-side', '-f', file('csa3.yaml', deployment('csa', 3, 'nginx:1.26')));
    assert.equal(r.exitCode, 0, r.stderr);
    const d = JSON.parse(await ok('get', 'deployment', 'csa', '-o', 'json', '--show-managed-fields'));
    assert.equal(d.spec.replicas, 3);
    assert.equal(d.spec.template.spec.containers[0].image, 'nginx:1.26');
    const managers = d.metadata.managedFields.map((e: any) => `${e.manager}/${e.operation}`);
    assert.ok(managers.includes('kubectl/Apply'), managers.join(','));
    assert.ok(
      !managers.includes('kubectl-client-side-apply/Update'),
      `kubectl migrated the client-side entry: ${managers.join(',')}`,
    );
    const last = JSON.parse(d.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']);
    assert.equal(last.spec.replicas, 3, 'the annotation follows the server-side apply');
    const back = await h.kubectl('apply', '-f', file('csa4.yaml', deployment('csa', 4, 'nginx:1.26')));
    assert.equal(back.exitCode, 0, back.stderr);
  });

  test('apply creates what is missing (201), dry-run writes nothing, fieldManager is required', async () => {
    const body = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'fresh' }, data: { a: 'b' } });
    const hdr = { 'Content-Type': 'application/apply-patch+yaml' };
    const dry = await h.request('PATCH', '/api/v1/namespaces/default/configmaps/fresh?fieldManager=me&dryRun=All', {
      body,
      headers: hdr,
    });
    assert.equal(dry.status, 201, dry.text);
    assert.equal((await h.request('GET', '/api/v1/namespaces/default/configmaps/fresh')).status, 404);
    const created = await h.request('PATCH', '/api/v1/namespaces/default/configmaps/fresh?fieldManager=me', {
      body,
      headers: hdr,
    });
    assert.equal(created.status, 201);
    assert.deepEqual(
      created.json.metadata.managedFields.map((e: any) => [e.manager, e.operation, e.fieldsV1]),
      [['me', 'Apply', { 'f:data': { 'f:a': {} } }]],
    );
    const missing = await h.request('PATCH', '/api/v1/namespaces/default/configmaps/fresh', { body, headers: hdr });
    assert.equal(missing.status, 422);
    assert.equal(
      missing.json.message,
      'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
    );
    const forced = await h.request('PATCH', '/api/v1/namespaces/default/configmaps/fresh?force=true', {
      body: '{"data":{"x":"y"}}',
      headers: { 'Content-Type': 'application/merge-patch+json' },
    });
    assert.equal(forced.status, 422);
    assert.equal(
      forced.json.message,
      'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch',
    );
    const noop = await h.request('PATCH', '/api/v1/namespaces/default/configmaps/fresh?fieldManager=me', {
      body,
      headers: hdr,
    });
    assert.equal(
      noop.json.metadata.resourceVersion,
      created.json.metadata.resourceVersion,
      'an unchanged apply writes nothing',
    );
  });

  test('status writes are recorded with their subresource', async () => {
    const put = await h.request('PATCH', '/apis/apps/v1/namespaces/default/deployments/web/status', {
      body: JSON.stringify({ status: { replicas: 3, observedGeneration: 2 } }),
      headers: {
        'Content-Type': 'application/merge-patch+json',
        'User-Agent': 'kube-controller-manager/v1.32.0 (linux/amd64)',
      },
    });
    assert.equal(put.status, 200, put.text);
    const e = put.json.metadata.managedFields.find((x: any) => x.manager === 'kube-controller-manager');
    assert.equal(e.subresource, 'status');
    assert.deepEqual(e.fieldsV1, { 'f:status': { 'f:observedGeneration': {}, 'f:replicas': {} } });
  });

  test('@kubernetes/client-node applies with PatchStrategy.ServerSideApply', async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(h.kubeconfig);
    const apps = kc.makeApiClient(AppsV1Api);
    const body = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'node-app' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'n' } },
        template: { metadata: { labels: { app: 'n' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } },
      },
    };
    const out = await apps.patchNamespacedDeployment(
      { namespace: 'default', name: 'node-app', body, fieldManager: 'node-client', force: true },
      setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
    );
    assert.equal(out.spec?.replicas, 1);
    assert.equal(out.metadata?.managedFields?.[0]?.manager, 'node-client');
    assert.equal(out.metadata?.managedFields?.[0]?.operation, 'Apply');
  });
});
