// Bad requests get a Kubernetes Status body with the right code and reason, and store nothing:
// wrong or missing tokens, malformed bodies, unknown kinds and resources, oversized bodies,
// invalid objects, duplicates, stale writes, expired watches.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startApiServer, type Harness } from './harness.js';

const POD = JSON.stringify({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p' },
  spec: { containers: [{ name: 'c', image: 'busybox' }] },
});

describe('apiserver error answers', () => {
  let h: Harness;
  before(async () => {
    h = await startApiServer({ bookmarkIntervalMs: 200 });
  });
  after(async () => {
    await h?.stop();
  });

  /** Sends the request and checks that it failed with a Status and that the store did not move. */
  async function refused(
    method: string,
    path: string,
    code: number,
    reason: string,
    opts: Parameters<Harness['request']>[2] = {},
  ) {
    const before = h.backend.currentRevision();
    const r = await h.request(method, path, opts);
    assert.equal(r.status, code, r.text);
    assert.equal(r.json?.kind, 'Status', r.text);
    assert.equal(r.json.apiVersion, 'v1');
    assert.deepEqual(r.json.metadata, {});
    assert.equal(r.json.status, 'Failure');
    assert.equal(r.json.reason, reason);
    assert.equal(r.json.code, code);
    assert.equal(h.backend.currentRevision(), before, 'nothing may be stored');
    return r.json;
  }

  test('wrong, malformed or missing tokens: 401, anonymous is off', async () => {
    await refused('GET', '/api/v1/pods', 401, 'Unauthorized', { token: 'not-a-token' });
    await refused('GET', '/version', 401, 'Unauthorized', { token: null });
    await refused('POST', '/api/v1/namespaces/default/pods', 401, 'Unauthorized', { token: null, body: POD });
    await refused('GET', '/api/v1/pods', 401, 'Unauthorized', {
      token: null,
      headers: { Authorization: 'Basic YWRtaW46YWRtaW4=' },
    });
  });

  test('malformed bodies: 400 BadRequest', async () => {
    await refused('POST', '/api/v1/namespaces/default/pods', 400, 'BadRequest', {
      body: '{"apiVersion": "v1", "kind": ',
    });
    await refused('POST', '/api/v1/namespaces/default/pods', 400, 'BadRequest', { body: '[1,2]' });
    await refused('POST', '/api/v1/namespaces/default/pods', 400, 'BadRequest', { body: '' });
    await refused('POST', '/api/v1/namespaces/default/pods', 400, 'BadRequest', {
      body: JSON.stringify({ apiVersion: 'apps/v1', kind: 'Pod', metadata: { name: 'x' } }),
    });
    await refused('POST', '/api/v1/namespaces/default/pods', 400, 'BadRequest', {
      body: JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'x' } }),
    });
    await refused('POST', '/api/v1/namespaces/default/pods', 400, 'BadRequest', {
      body: JSON.stringify({ ...JSON.parse(POD), metadata: { name: 'p', namespace: 'other' } }),
    });
    await refused('POST', '/api/v1/namespaces/default/pods', 415, 'UnsupportedMediaType', {
      body: 'x',
      headers: { 'Content-Type': 'text/plain' },
    });
    await refused('PATCH', '/api/v1/namespaces/default/pods/x', 415, 'UnsupportedMediaType', {
      body: '{}',
      headers: { 'Content-Type': 'application/json' },
    });
    const typed = await refused('POST', '/apis/apps/v1/namespaces/default/deployments', 400, 'BadRequest', {
      body: JSON.stringify({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: 'x' }),
    });
    assert.equal(
      typed.message,
      'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field Deployment.spec of type v1.DeploymentSpec',
    );
    const port = await refused('POST', '/api/v1/namespaces/default/pods', 400, 'BadRequest', {
      body: JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'p', labels: { a: 1 } },
        spec: { containers: [{ name: 'c', image: 'i', ports: [{ containerPort: '80' }] }] },
      }),
    });
    assert.match(port.message, /cannot unmarshal number into Go struct field Pod\.metadata\.labels of type string/);
    await refused('POST', '/api/v1/namespaces/default/pods', 400, 'BadRequest', {
      body: JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: 'c' } }),
    });
    await refused('GET', '/api/v1/pods?labelSelector=app%20in%20kubia', 400, 'BadRequest');
    await refused('GET', '/api/v1/pods?fieldSelector=spec.bogus%3Dx', 400, 'BadRequest');
    await refused('GET', '/api/v1/pods?continue=garbage', 400, 'BadRequest');
  });

  test('unknown kinds and resources: 404 NotFound', async () => {
    const nf = await refused('GET', '/api/v1/frobs', 404, 'NotFound');
    assert.equal(nf.message, 'the server could not find the requested resource');
    await refused('POST', '/apis/example.com/v1/namespaces/default/widgets', 404, 'NotFound', { body: '{}' });
    await refused('GET', '/apis/apps/v2/deployments', 404, 'NotFound');
    await refused('GET', '/api/v1/namespaces/default/pods/p/frobnicate', 404, 'NotFound');
    await refused('POST', '/api/v1/namespaces/nowhere/pods', 404, 'NotFound', { body: POD });
    const missing = await refused('GET', '/apis/apps/v1/namespaces/default/deployments/nope', 404, 'NotFound');
    assert.equal(missing.message, 'deployments.apps "nope" not found');
    assert.deepEqual(missing.details, { name: 'nope', group: 'apps', kind: 'deployments' });
  });

  test('oversized bodies: 413 RequestEntityTooLarge', async () => {
    const big = JSON.stringify({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'big' },
      data: { x: 'a'.repeat(3 * 1024 * 1024 + 1) },
    });
    const s = await refused('POST', '/api/v1/namespaces/default/configmaps', 413, 'RequestEntityTooLarge', {
      body: big,
    });
    assert.equal(s.message, 'Request entity too large: limit is 3145728');
  });

  test('invalid objects: 422 Invalid with field causes', async () => {
    const s = await refused('POST', '/api/v1/namespaces/default/services', 422, 'Invalid', {
      body: JSON.stringify({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'Bad_Name' },
        spec: { ports: [{ port: 0 }, { port: 70000, name: 'b' }] },
      }),
    });
    assert.match(
      s.message,
      /^Service "Bad_Name" is invalid: \[metadata\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 label/,
    );
    assert.deepEqual(
      s.details.causes.map((c: any) => [c.reason, c.field]),
      [
        ['FieldValueInvalid', 'metadata.name'],
        ['FieldValueRequired', 'spec.ports[0].name'],
        ['FieldValueInvalid', 'spec.ports[0].port'],
        ['FieldValueInvalid', 'spec.ports[0].targetPort'],
        ['FieldValueInvalid', 'spec.ports[1].port'],
        ['FieldValueInvalid', 'spec.ports[1].targetPort'],
      ],
    );
    assert.equal(s.details.kind, 'Service');
    const d = await refused('POST', '/apis/apps/v1/namespaces/default/deployments', 422, 'Invalid', {
      body: JSON.stringify({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'd' },
        spec: {
          selector: { matchLabels: { app: 'x' } },
          template: { metadata: { labels: { app: 'y' } }, spec: { containers: [{ name: 'c', image: 'i' }] } },
        },
      }),
    });
    assert.match(
      d.message,
      /^Deployment\.apps "d" is invalid: spec\.template\.metadata\.labels: Invalid value: .*`selector` does not match template `labels`/,
    );
  });

  test('duplicates and stale writes: 409 AlreadyExists and Conflict', async () => {
    const created = await h.request('POST', '/api/v1/namespaces/default/pods', { body: POD });
    assert.equal(created.status, 201);
    const dup = await refused('POST', '/api/v1/namespaces/default/pods', 409, 'AlreadyExists', { body: POD });
    assert.equal(dup.message, 'pods "p" already exists');
    const stale = { ...created.json, metadata: { ...created.json.metadata, resourceVersion: '1', labels: { a: 'b' } } };
    const c = await refused('PUT', '/api/v1/namespaces/default/pods/p', 409, 'Conflict', {
      body: JSON.stringify(stale),
    });
    assert.equal(
      c.message,
      'Operation cannot be fulfilled on pods "p": the object has been modified; please apply your changes to the latest version and try again',
    );
    assert.deepEqual(c.details, { name: 'p', kind: 'pods' });
    await refused('PUT', '/api/v1/namespaces/default/pods/p', 400, 'BadRequest', {
      body: JSON.stringify({ ...created.json, metadata: { ...created.json.metadata, name: 'other' } }),
    });
    await refused('POST', '/api/v1/namespaces/default/pods/p', 405, 'MethodNotAllowed', { body: POD });
  });

  test('a watch from a compacted revision gets an ERROR event with 410 Expired', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await h.request('POST', '/api/v1/namespaces/default/configmaps', {
        body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm${i}` } }),
      });
      assert.equal(r.status, 201);
    }
    const rev = h.backend.currentRevision();
    h.backend.compact(rev);
    const r = await h.request('GET', `/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${rev - 2}`);
    assert.equal(r.status, 200);
    const ev = JSON.parse(r.text.trim().split('\n')[0]!);
    assert.equal(ev.type, 'ERROR');
    assert.equal(ev.object.code, 410);
    assert.equal(ev.object.reason, 'Expired');
    const list = await h.request(
      'GET',
      `/api/v1/namespaces/default/configmaps?resourceVersion=${rev - 2}&resourceVersionMatch=Exact`,
    );
    assert.equal(list.status, 410);
  });

  test('a forbidden request: 403 with the kube-apiserver wording, nothing stored', async () => {
    const token = h.server.issueToken({ name: 'alice', uid: 'alice', groups: [] });
    const s = await refused('POST', '/api/v1/namespaces/default/pods', 403, 'Forbidden', { token, body: POD });
    assert.equal(
      s.message,
      'pods is forbidden: User "alice" cannot create resource "pods" in API group "" in the namespace "default"',
    );
    const ok = await h.request('GET', '/version', { token });
    assert.equal(ok.status, 200);
  });
});
