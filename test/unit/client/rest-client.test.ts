import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AlreadyExistsError,
  ApiConnectionError,
  ConflictError,
  ExpiredError,
  NotFoundError,
  apiErrorFrom,
  isNotFound,
} from '../../../cluster/client/api-errors.js';
import { KubeClient } from '../../../cluster/client/kube-client.js';
import { resourcePath, Resources } from '../../../cluster/client/resources.js';
import { RestClient } from '../../../cluster/client/rest-client.js';
import { ensurePki } from '../../../cluster/apiserver/pki.js';
import { FakePodServer } from './fake-apiserver.js';

test('paths follow the API layout for core, grouped, namespaced and cluster-scoped kinds', () => {
  assert.equal(resourcePath(Resources.pods, 'default', 'x', 'binding'), '/api/v1/namespaces/default/pods/x/binding');
  assert.equal(resourcePath(Resources.pods), '/api/v1/pods');
  assert.equal(resourcePath(Resources.nodes, 'ignored', 'node1', 'status'), '/api/v1/nodes/node1/status');
  assert.equal(resourcePath(Resources.deployments, 'kube-system'), '/apis/apps/v1/namespaces/kube-system/deployments');
  assert.equal(
    resourcePath(Resources.leases, 'kube-system', 'kube-scheduler'),
    '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-scheduler',
  );
  assert.throws(() => resourcePath(Resources.pods, 'default', '../secrets'), /cannot be a path segment/);
});

test('errors become typed classes carrying the Status reason and code', () => {
  const e = apiErrorFrom(
    410,
    JSON.stringify({ kind: 'Status', code: 410, reason: 'Expired', message: 'too old' }),
    'WATCH /api/v1/pods',
  );
  assert.ok(e instanceof ExpiredError);
  assert.equal(e.code, 410);
  const bare = apiErrorFrom(404, 'page not found', 'GET /x');
  assert.ok(bare instanceof NotFoundError, 'the code decides when the body is not a Status');
  assert.equal(bare.status.message, 'page not found');
});

test('typed verbs against an HTTP server: create, get, conflict, patch types, bind, delete', async (t) => {
  const server = new FakePodServer();
  await server.start();
  const client = new KubeClient({ server: server.url, token: 'abc' });
  t.after(async () => {
    client.close();
    await server.stop();
  });
  const created = await client.pods.create({ metadata: { name: 'p' }, spec: { containers: [{ name: 'c' }] } });
  assert.equal(created.metadata.name, 'p');
  const post = server.requests.at(-1)!;
  assert.equal(post.url, '/api/v1/namespaces/default/pods');
  assert.equal(post.authorization, 'Bearer abc');
  assert.deepEqual((post.body as { apiVersion: string; kind: string }).kind, 'Pod');

  await assert.rejects(client.pods.create({ metadata: { name: 'p' }, spec: { containers: [] } }), (e) => {
    assert.ok(e instanceof AlreadyExistsError);
    assert.equal(e.code, 409);
    assert.equal(e.reason, 'AlreadyExists');
    return true;
  });
  await assert.rejects(
    client.pods.get('nope', 'default'),
    (e) => isNotFound(e) && /pods "nope" not found/.test(e.message),
  );

  const got = await client.pods.get('p', 'default');
  await client.pods.update({ ...got, metadata: { ...got.metadata, labels: { a: '1' } } });
  await assert.rejects(client.pods.update(got), ConflictError, 'a stale resourceVersion gets 409 Conflict');

  for (const [type, ct] of [
    ['merge', 'application/merge-patch+json'],
    ['strategic', 'application/strategic-merge-patch+json'],
    ['json', 'application/json-patch+json'],
  ] as const) {
    await client.pods.patch(
      'p',
      type === 'json' ? [{ op: 'add', path: '/metadata/labels/b', value: '2' }] : { metadata: { labels: { b: '2' } } },
      type,
      { namespace: 'default' },
    );
    assert.equal(server.requests.at(-1)!.contentType, ct);
    assert.equal(server.requests.at(-1)!.method, 'PATCH');
  }

  await client.bind('default', 'p', 'node1');
  const bind = server.requests.at(-1)!;
  assert.equal(bind.url, '/api/v1/namespaces/default/pods/p/binding');
  assert.deepEqual(bind.body, {
    apiVersion: 'v1',
    kind: 'Binding',
    metadata: { name: 'p', namespace: 'default' },
    target: { apiVersion: 'v1', kind: 'Node', name: 'node1' },
  });

  await client.pods.delete('p', 'default', { propagationPolicy: 'Background' });
  assert.deepEqual(server.requests.at(-1)!.body, {
    apiVersion: 'v1',
    kind: 'DeleteOptions',
    propagationPolicy: 'Background',
  });
  await assert.rejects(client.pods.delete('p', 'default'), NotFoundError);
  assert.throws(() => client.pods.get('p'), /a namespace is required/);
});

test('an unreachable server is a connection error, not an API error', async () => {
  const client = new KubeClient({ server: 'http://127.0.0.1:1', timeoutMs: 2000 });
  await assert.rejects(client.nodes.list(), ApiConnectionError);
  client.close();
});

test('watch delivers events line by line and ends with a typed error on ERROR 410', async (t) => {
  const server = new FakePodServer();
  await server.start();
  const client = new KubeClient({ server: server.url });
  t.after(async () => {
    client.close();
    await server.stop();
  });
  server.put('a');
  server.put('b');
  server.compacted = 2;
  const types: string[] = [];
  const closed = await new Promise<Error | undefined>((resolve) => {
    client.pods.watch({ resourceVersion: '1' }, { onEvent: (e) => types.push(e.type), onClose: resolve });
  });
  assert.ok(closed instanceof ExpiredError, String(closed));
  assert.deepEqual(types, []);

  const got: string[] = [];
  let stop!: () => void;
  await new Promise<void>((resolve) => {
    stop = client.pods.watch(
      { resourceVersion: '2' },
      {
        onEvent: (e) => {
          got.push(`${e.type} ${e.object.metadata.name}`);
          if (got.length === 1) server.put('c'); // a live event after the replayed one
          if (got.length === 2) resolve();
        },
        onClose: (err) => assert.fail(`closed early: ${err?.message}`),
      },
    );
  });
  stop();
  assert.deepEqual(got, ['ADDED b', 'ADDED c'], 'only events after resourceVersion 2 (a is 2, b is 3)');
});

test('over HTTPS the client trusts its CA only, and keeps one socket pool across requests', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kw-rest-client-tls-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const served = await ensurePki(join(dir, 'served'), ['IP:127.0.0.1']);
  const other = await ensurePki(join(dir, 'other'), ['IP:127.0.0.1']);
  const sockets = new Set<unknown>();
  const server = createHttpsServer({ cert: served.cert, key: served.key }, (req, res) => {
    sockets.add(req.socket);
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ kind: 'Status', path: req.url }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const trusted = new RestClient({ server: url, ca: served.caCertPem, maxSockets: 1 });
  t.after(() => trusted.close());
  for (let i = 0; i < 3; i++)
    assert.deepEqual(await trusted.request('GET', `/x${i}`), { kind: 'Status', path: `/x${i}` });
  assert.equal(sockets.size, 1, 'keep-alive requests share one connection');

  const stranger = new RestClient({ server: url, ca: other.caCertPem });
  t.after(() => stranger.close());
  await assert.rejects(stranger.request('GET', '/y'), (err: unknown) => {
    assert.ok(err instanceof ApiConnectionError, String(err));
    assert.match(String((err as Error & { cause?: { code?: string } }).cause?.code), /VERIFY|SIGNATURE|CERT/);
    return true;
  });
  const noCa = new RestClient({ server: url });
  t.after(() => noCa.close());
  await assert.rejects(noCa.request('GET', '/z'), ApiConnectionError);
});
