// OpenAPI v2/v3 from the vendored Kubernetes v1.32 spec and aggregated discovery, as the real
// kubectl 1.32 reads them: `kubectl explain` prints the spec's descriptions, discovery comes in
// one apidiscovery.k8s.io/v2 document, documents are cached by ETag and sent gzipped.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NO_KUBECTL, startApiServer, type Harness } from './harness.js';

const KUBECTL_ACCEPT =
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';

describe('OpenAPI and aggregated discovery', () => {
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

  test('kubectl explain prints the real descriptions of pod.spec.containers.ports', async () => {
    const r = await h.kubectl('explain', 'pod.spec.containers.ports');
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stdout, /KIND:\s+Pod/);
    assert.match(r.stdout, /List of ports to expose from the container/);
    assert.match(r.stdout, /containerPort\s+<integer> -required-/);
    assert.match(r.stdout, /Number of port to expose on the pod's IP address/);
    assert.doesNotMatch(r.stdout, /<no description>/);
    const d = await h.kubectl('explain', 'deployments.spec.strategy', '--api-version=apps/v1');
    assert.equal(d.exitCode, 0, d.stderr);
    assert.match(d.stdout, /The deployment strategy to use to replace existing pods with new ones/);
  });

  test('kubectl explain --recursive walks the schema', async () => {
    const r = await h.kubectl('explain', 'service.spec', '--recursive');
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stdout, /ports\s+<\[\]ServicePort>/);
    assert.match(r.stdout, /targetPort\s+<IntOrString>/);
  });

  test('/apis in the aggregated form kubectl 1.32 asks for', async () => {
    const r = await h.request('GET', '/apis', { headers: { Accept: KUBECTL_ACCEPT } });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
    assert.equal(r.json.kind, 'APIGroupDiscoveryList');
    assert.equal(r.json.apiVersion, 'apidiscovery.k8s.io/v2');
    const apps = r.json.items.find((g: any) => g.metadata.name === 'apps');
    const deploy = apps.versions[0].resources.find((x: any) => x.resource === 'deployments');
    assert.deepEqual(deploy.responseKind, { group: 'apps', version: 'v1', kind: 'Deployment' });
    assert.equal(deploy.scope, 'Namespaced');
    assert.deepEqual(deploy.shortNames, ['deploy']);
    assert.deepEqual(
      deploy.subresources.map((s: any) => [s.subresource, s.responseKind.kind]),
      [
        ['status', 'Deployment'],
        ['scale', 'Scale'],
      ],
    );
    assert.equal(apps.versions[0].freshness, 'Current');
    const core = await h.request('GET', '/api', { headers: { Accept: KUBECTL_ACCEPT } });
    assert.equal(core.json.items.length, 1);
    assert.equal(core.json.items[0].metadata.name, undefined);
    assert.ok(
      core.json.items[0].versions[0].resources.some(
        (x: any) => x.resource === 'pods' && x.subresources.some((s: any) => s.subresource === 'binding'),
      ),
    );
    const plain = await h.request('GET', '/apis', { headers: { Accept: 'application/json' } });
    assert.equal(plain.json.kind, 'APIGroupList');
    const again = await h.request('GET', '/apis', {
      headers: { Accept: KUBECTL_ACCEPT, 'If-None-Match': String(r.headers.etag) },
    });
    assert.equal(again.status, 304);
  });

  test('kubectl api-resources from aggregated discovery', async () => {
    const r = await h.kubectl('api-resources', '--api-group=apps', '-o', 'wide');
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stdout, /deployments\s+deploy\s+apps\/v1\s+true\s+Deployment/);
  });

  test('OpenAPI v3: index with hashes, documents by ETag, gzip', async () => {
    const index = await h.request('GET', '/openapi/v3');
    assert.equal(index.status, 200);
    const url = index.json.paths['api/v1'].serverRelativeURL as string;
    assert.match(url, /^\/openapi\/v3\/api\/v1\?hash=[0-9A-F]{128}$/);
    const doc = await h.request('GET', url);
    assert.equal(doc.status, 200);
    assert.equal(doc.headers['cache-control'], 'public, immutable');
    assert.equal(doc.headers.etag, `"${url.split('=')[1]}"`);
    const pod = doc.json.components.schemas['io.k8s.api.core.v1.Pod'];
    assert.match(pod.description, /Pod is a collection of containers/);
    assert.deepEqual(pod['x-kubernetes-group-version-kind'], [{ group: '', kind: 'Pod', version: 'v1' }]);
    assert.deepEqual(pod.properties.spec.allOf, [{ $ref: '#/components/schemas/io.k8s.api.core.v1.PodSpec' }]);
    const patch = doc.json.paths['/api/v1/namespaces/{namespace}/pods/{name}'].patch;
    assert.ok(patch.requestBody.content['application/apply-patch+yaml']);
    assert.ok(patch.parameters.some((p: any) => p.name === 'fieldValidation'));
    // Served through the kubelet (kubelet-proxy.ts), so documented as kube-apiserver documents it.
    assert.equal(
      doc.json.paths['/api/v1/namespaces/{namespace}/pods/{name}/exec'].get['x-kubernetes-action'],
      'connect',
    );
    assert.ok(!index.json.paths['apis/storage.k8s.io/v1'], 'only served group-versions are listed');
    const cached = await h.request('GET', url, { headers: { 'If-None-Match': String(doc.headers.etag) } });
    assert.equal(cached.status, 304);
    const gz = await h.request('GET', url, { headers: { 'Accept-Encoding': 'gzip' } });
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.ok(Number(gz.headers['content-length']) < doc.text.length / 4);
    const stale = await h.request('GET', '/openapi/v3/api/v1?hash=00');
    assert.equal(stale.status, 301);
  });

  test('OpenAPI v2 carries the served kinds with list types', async () => {
    const r = await h.request('GET', '/openapi/v2');
    assert.equal(r.status, 200);
    const v2 = r.json;
    assert.equal(v2.swagger, '2.0');
    const ports = v2.definitions['io.k8s.api.core.v1.Container'].properties.ports;
    assert.deepEqual(
      [ports['x-kubernetes-list-type'], ports['x-kubernetes-list-map-keys']],
      ['map', ['containerPort', 'protocol']],
    );
    assert.ok(v2.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale']);
    assert.ok(!v2.definitions['io.k8s.api.storage.v1.StorageClass'], 'kinds not served are left out');
  });

  // client-go's discovery.OpenAPISchema() asks for gnostic's protobuf and unmarshals the body as
  // such; `kubectl apply` of a `kind: List` goes through it and failed with "proto: cannot parse
  // invalid wire-format data" while /openapi/v2 answered JSON.
  test('kubectl apply of a v1 List reads /openapi/v2 as protobuf', async () => {
    const file = join(h.dir, 'list.yaml');
    writeFileSync(
      file,
      `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: listed-a, namespace: default}
  data: {k: a}
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: listed-b, namespace: default}
  data: {k: b}
`,
    );
    const r = await h.kubectl('apply', '-f', file);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'configmap/listed-a created\nconfigmap/listed-b created');
    const again = await h.kubectl('apply', '-f', file);
    assert.equal(again.exitCode, 0, again.stderr);
    assert.equal(again.stdout.trim(), 'configmap/listed-a unchanged\nconfigmap/listed-b unchanged');
    const got = await h.kubectl('get', 'configmap', 'listed-b', '-o', 'jsonpath={.data.k}');
    assert.equal(got.stdout, 'b');
    const e = await h.kubectl('explain', 'configmap.data');
    assert.equal(e.exitCode, 0, e.stderr);
    assert.match(e.stdout, /Data contains the configuration data/);

    const accept = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';
    const pb = await h.request('GET', '/openapi/v2', { headers: { Accept: accept } });
    assert.equal(pb.status, 200);
    // kube-openapi's answer: `@` is no MIME token character, client-go's mime.ParseMediaType rejects it.
    assert.equal(pb.headers['content-type'], 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf');
    const json = await h.request('GET', '/openapi/v2', { headers: { Accept: 'application/json' } });
    assert.equal(json.headers['content-type'], 'application/json');
    assert.notEqual(pb.headers.etag, json.headers.etag);
    const cached = await h.request('GET', '/openapi/v2', {
      headers: { Accept: accept, 'If-None-Match': String(pb.headers.etag) },
    });
    assert.equal(cached.status, 304);
  });
});
