// CustomResourceDefinitions with the real kubectl 1.32 and @kubernetes/client-node: a CRD with a
// structural schema (defaults, pruning, validation, a CEL rule), status and scale subresources
// and printer columns is served in discovery and OpenAPI (kubectl explain), read as a Table,
// applied server-side, scaled, watched, and removed with its objects when the CRD goes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { NO_KUBECTL, startApiServer, type Harness } from './harness.js';

const CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: crontabs.stable.example.com
spec:
  group: stable.example.com
  scope: Namespaced
  names: {plural: crontabs, singular: crontab, kind: CronTab, shortNames: [ct]}
  versions:
  - name: v1
    served: true
    storage: true
    subresources:
      status: {}
      scale: {specReplicasPath: .spec.replicas, statusReplicasPath: .status.replicas}
    additionalPrinterColumns:
    - {name: Spec, type: string, jsonPath: .spec.cronSpec}
    - {name: Replicas, type: integer, jsonPath: .spec.replicas}
    schema:
      openAPIV3Schema:
        type: object
        description: CronTab runs a command on a schedule.
        properties:
          spec:
            type: object
            description: What the CronTab should do.
            x-kubernetes-validations:
            - rule: self.replicas <= self.maxReplicas
              message: replicas must not exceed maxReplicas
            properties:
              cronSpec: {type: string, description: The schedule in cron format., pattern: '^[0-9*/ ]+$'}
              image: {type: string}
              replicas: {type: integer, minimum: 0, default: 1}
              maxReplicas: {type: integer, default: 10}
          status:
            type: object
            properties:
              replicas: {type: integer}
`;

const CT = (extra = '') => `apiVersion: stable.example.com/v1
kind: CronTab
metadata:
  name: my-cron
spec:
  cronSpec: "* * * * */5"
  image: my-cron-image
  unknownField: dropped
${extra}`;

describe('CustomResourceDefinitions', () => {
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

  test('a CRD is established and listed with its printer', async () => {
    assert.match(
      await ok('apply', '-f', file('crd.yaml', CRD)),
      /customresourcedefinition.apiextensions.k8s.io\/crontabs.stable.example.com created/,
    );
    await ok('wait', '--for=condition=established', '--timeout=10s', 'crd/crontabs.stable.example.com');
    assert.match(
      await ok('get', 'crd'),
      /^NAME\s+CREATED AT\ncrontabs\.stable\.example\.com\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
    );
    const crd = JSON.parse(await ok('get', 'crd', 'crontabs.stable.example.com', '-o', 'json'));
    assert.deepEqual(crd.status.acceptedNames, {
      plural: 'crontabs',
      singular: 'crontab',
      kind: 'CronTab',
      listKind: 'CronTabList',
      shortNames: ['ct'],
    });
    assert.deepEqual(crd.status.storedVersions, ['v1']);
    assert.match(
      await ok('api-resources', '--api-group=stable.example.com'),
      /crontabs\s+ct\s+stable\.example\.com\/v1\s+true\s+CronTab/,
    );
  });

  test('objects are defaulted, pruned, shown in printer columns and applied server-side', async () => {
    assert.match(
      await ok('apply', '--server-side', '-f', file('ct.yaml', CT())),
      /crontab.stable.example.com\/my-cron serverside-applied/,
    );
    assert.match(await ok('get', 'ct'), /^NAME\s+SPEC\s+REPLICAS\nmy-cron\s+\* \* \* \* \*\/5\s+1$/);
    const o = JSON.parse(await ok('get', 'crontab', 'my-cron', '-o', 'json', '--show-managed-fields'));
    assert.deepEqual(o.spec, { cronSpec: '* * * * */5', image: 'my-cron-image', maxReplicas: 10, replicas: 1 });
    assert.equal(o.status, undefined);
    assert.equal(o.metadata.generation, 1);
    assert.deepEqual(o.metadata.managedFields[0].fieldsV1, {
      'f:spec': { 'f:cronSpec': {}, 'f:image': {}, 'f:unknownField': {} },
    });
  });

  test('schema and CEL validation answer 422 as kube-apiserver words them', async () => {
    const bad = await h.request('PATCH', '/apis/stable.example.com/v1/namespaces/default/crontabs/my-cron', {
      body: JSON.stringify({ spec: { replicas: 30, cronSpec: 'x' } }),
      headers: { 'Content-Type': 'application/merge-patch+json' },
    });
    assert.equal(bad.status, 422);
    assert.equal(bad.json.reason, 'Invalid');
    assert.equal(
      bad.json.message,
      `CronTab.stable.example.com "my-cron" is invalid: [spec.cronSpec: Invalid value: "x": spec.cronSpec in body should match '^[0-9*/ ]+$', spec: Invalid value: "object": replicas must not exceed maxReplicas]`,
    );
    assert.deepEqual(
      bad.json.details.causes.map((c: any) => c.field),
      ['spec.cronSpec', 'spec'],
    );
    const type = await h.request('PATCH', '/apis/stable.example.com/v1/namespaces/default/crontabs/my-cron', {
      body: JSON.stringify({ spec: { replicas: 'two' } }),
      headers: { 'Content-Type': 'application/merge-patch+json' },
    });
    assert.equal(
      type.json.message,
      'CronTab.stable.example.com "my-cron" is invalid: [spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string", <nil>: Invalid value: "null": some validation rules were not checked because the object was invalid; correct the existing errors to complete validation]',
    );
  });

  test('scale and status subresources', async () => {
    await ok('scale', 'crontab', 'my-cron', '--replicas=3');
    const scale = await h.request('GET', '/apis/stable.example.com/v1/namespaces/default/crontabs/my-cron/scale');
    assert.deepEqual([scale.json.kind, scale.json.spec.replicas, scale.json.status.replicas], ['Scale', 3, 0]);
    const main = await h.request('PATCH', '/apis/stable.example.com/v1/namespaces/default/crontabs/my-cron', {
      body: JSON.stringify({ status: { replicas: 9 } }),
      headers: { 'Content-Type': 'application/merge-patch+json' },
    });
    assert.equal(main.json.status, undefined, "status is the status subresource's");
    const st = await h.request('PATCH', '/apis/stable.example.com/v1/namespaces/default/crontabs/my-cron/status', {
      body: JSON.stringify({ status: { replicas: 3 } }),
      headers: { 'Content-Type': 'application/merge-patch+json' },
    });
    assert.equal(st.status, 200, st.text);
    assert.deepEqual(st.json.status, { replicas: 3 });
    assert.equal(st.json.metadata.generation, 2, 'scaling changed spec; status did not count');
  });

  test('kubectl explain reads the schema from OpenAPI v3; aggregated discovery lists the group', async () => {
    const e = await ok('explain', 'crontab.spec.cronSpec');
    assert.match(e, /GROUP:\s+stable\.example\.com/);
    assert.match(e, /The schedule in cron format\./);
    const index = await h.request('GET', '/openapi/v3');
    assert.ok(index.json.paths['apis/stable.example.com/v1']);
    const agg = await h.request('GET', '/apis', {
      headers: { Accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList' },
    });
    const g = agg.json.items.find((x: any) => x.metadata.name === 'stable.example.com');
    assert.deepEqual(
      g.versions[0].resources[0].subresources.map((s: any) => s.subresource),
      ['status', 'scale'],
    );
  });

  test('watch and @kubernetes/client-node CustomObjectsApi', async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(h.kubeconfig);
    const api = kc.makeApiClient(CustomObjectsApi);
    const list = await api.listNamespacedCustomObject({
      group: 'stable.example.com',
      version: 'v1',
      namespace: 'default',
      plural: 'crontabs',
    });
    assert.deepEqual(
      (list as any).items.map((i: any) => i.metadata.name),
      ['my-cron'],
    );
    assert.equal((list as any).kind, 'CronTabList');
    const w = await h.request(
      'GET',
      '/apis/stable.example.com/v1/namespaces/default/crontabs?watch=1&timeoutSeconds=1',
    );
    const first = JSON.parse(w.text.split('\n')[0]!);
    assert.equal(first.type, 'ADDED');
    assert.equal(first.object.apiVersion, 'stable.example.com/v1');
  });

  test('a non-structural CRD, a missing storage version or a broken CEL rule is refused', async () => {
    const crd = (versions: unknown) =>
      JSON.stringify({
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: 'bads.example.com' },
        spec: { group: 'example.com', scope: 'Cluster', names: { plural: 'bads', kind: 'Bad' }, versions },
      });
    const noType = await h.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
      body: crd([
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: { type: 'object', properties: { spec: { properties: { a: { type: 'string' } } } } },
          },
        },
      ]),
    });
    assert.equal(noType.status, 422);
    assert.equal(
      noType.json.message,
      'CustomResourceDefinition.apiextensions.k8s.io "bads.example.com" is invalid: spec.versions[0].schema.openAPIV3Schema.properties[spec].type: Required value: must not be empty for specified object fields',
    );
    const noStorage = await h.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
      body: crd([{ name: 'v1', served: true, storage: false, schema: { openAPIV3Schema: { type: 'object' } } }]),
    });
    assert.match(
      noStorage.json.message,
      /spec\.versions: Invalid value: .*must have exactly one version marked as storage version/,
    );
    const cel = await h.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
      body: crd([
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-validations': [{ rule: 'self.a <' }] } },
        },
      ]),
    });
    assert.equal(cel.status, 422);
    assert.match(
      cel.json.message,
      /x-kubernetes-validations\[0\]\.rule: Invalid value: "self\.a <": compilation failed/,
    );
  });

  test('deleting the CRD stops serving the kind and removes its objects', async () => {
    await ok('delete', 'crd', 'crontabs.stable.example.com');
    const gone = await h.kubectl('get', 'ct');
    assert.notEqual(gone.exitCode, 0);
    assert.equal((await h.request('GET', '/apis/stable.example.com/v1')).status, 404);
    await ok('apply', '-f', file('crd.yaml', CRD));
    assert.match((await h.kubectl('get', 'ct')).stderr, /No resources found/);
  });
});
