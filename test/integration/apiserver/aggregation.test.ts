// API aggregation: an APIService hands metrics.k8s.io/v1beta1 to a Service whose endpoint is a
// real HTTPS server (standing in for a pod: the apiserver's lab connector dials its endpoint
// address, here mapped to a loopback port). The availability check marks it Available, discovery
// lists the group with the backend's resources, requests are proxied with the caller in
// X-Remote-User/Group, and the real `kubectl top pod` and `kubectl get apiservices` work.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { createConnection, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ensurePki } from '../../../cluster/apiserver/pki.js';
import { NO_KUBECTL, startApiServer, type Harness } from './harness.js';

const POD_IP = '10.244.7.9';
const RESOURCES = {
  kind: 'APIResourceList',
  apiVersion: 'v1',
  groupVersion: 'metrics.k8s.io/v1beta1',
  resources: [
    { name: 'nodes', singularName: '', namespaced: false, kind: 'NodeMetrics', verbs: ['get', 'list'] },
    { name: 'pods', singularName: '', namespaced: true, kind: 'PodMetrics', verbs: ['get', 'list'] },
  ],
};

describe('API aggregation', () => {
  before(() => {
    if (NO_KUBECTL) throw new Error(NO_KUBECTL);
  });
  let h: Harness;
  let backend: Server;
  const seen: { path: string; user?: string; groups?: string | string[]; auth?: string; cert: boolean }[] = [];
  const dir = join(process.env.TMPDIR ?? '/tmp', `kw-agg-${process.pid}-${Date.now()}`);
  before(async () => {
    const pki = await ensurePki(dir, ['DNS:metrics-server.kube-system.svc']);
    backend = createServer(
      { cert: pki.cert, key: pki.key, requestCert: true, rejectUnauthorized: false },
      (req, res) => {
        seen.push({
          path: req.url ?? '',
          user: req.headers['x-remote-user'] as string,
          groups: req.headers['x-remote-group'],
          auth: req.headers.authorization,
          cert: !!(req.socket as import('node:tls').TLSSocket).getPeerCertificate?.()?.subject,
        });
        const json = (o: unknown) => {
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify(o));
        };
        const url = new URL(req.url ?? '/', 'https://x');
        if (url.pathname === '/apis/metrics.k8s.io/v1beta1') return json(RESOURCES);
        if (url.pathname === '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods') {
          return json({
            kind: 'PodMetricsList',
            apiVersion: 'metrics.k8s.io/v1beta1',
            metadata: {},
            items: [
              {
                metadata: { name: 'web-1', namespace: 'default', creationTimestamp: '2026-01-01T00:00:00Z' },
                timestamp: '2026-01-01T00:00:00Z',
                window: '15s',
                containers: [{ name: 'web', usage: { cpu: '12m', memory: '34Mi' } }],
              },
            ],
          });
        }
        res.writeHead(404, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 }));
      },
    );
    await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
    const port = (backend.address() as AddressInfo).port;
    h = await startApiServer({
      memory: true,
      kubelet: {
        // The lab connector maps the endpoint's pod address to the backend; nothing else is reachable.
        dial: (host, p) => {
          if (host !== POD_IP || p !== 4443) throw new Error(`cannot dial ${host}:${p}`);
          return createConnection(port, '127.0.0.1');
        },
        tls: { ca: pki.caCertPem, cert: pki.cert, key: pki.key },
      },
    });
    const post = async (path: string, body: unknown) => {
      const r = await h.request('POST', path, { body: JSON.stringify(body) });
      assert.equal(r.status, 201, r.text);
    };
    await post('/api/v1/namespaces/kube-system/services', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'metrics-server' },
      spec: { ports: [{ name: 'https', port: 443, targetPort: 4443 }] },
    });
    await post('/api/v1/namespaces/kube-system/endpoints', {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'metrics-server' },
      subsets: [{ addresses: [{ ip: POD_IP }], ports: [{ name: 'https', port: 4443 }] }],
    });
    await post('/apis/apiregistration.k8s.io/v1/apiservices', {
      apiVersion: 'apiregistration.k8s.io/v1',
      kind: 'APIService',
      metadata: { name: 'v1beta1.metrics.k8s.io' },
      spec: {
        group: 'metrics.k8s.io',
        version: 'v1beta1',
        service: { namespace: 'kube-system', name: 'metrics-server', port: 443 },
        caBundle: pki.caCertPem.toString('base64'),
        groupPriorityMinimum: 100,
        versionPriority: 100,
      },
    });
  });
  after(async () => {
    await h?.stop();
    backend?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const available = async () => {
    for (let i = 0; i < 50; i++) {
      const r = await h.request('GET', '/apis/apiregistration.k8s.io/v1/apiservices/v1beta1.metrics.k8s.io');
      const c = r.json.status?.conditions?.find((x: any) => x.type === 'Available');
      if (c?.status === 'True') return c;
      await new Promise((res) => setTimeout(res, 100));
    }
    const last = await h.request('GET', '/apis/apiregistration.k8s.io/v1/apiservices/v1beta1.metrics.k8s.io');
    assert.fail(`APIService never became Available: ${JSON.stringify(last.json.status)}`);
  };

  test('the availability check marks the APIService Available', async () => {
    const c = await available();
    assert.deepEqual([c.reason, c.message], ['Passed', 'all checks passed']);
  });

  test('discovery lists the aggregated group, plain and aggregated', async () => {
    const plain = await h.request('GET', '/apis');
    assert.deepEqual(
      plain.json.groups.find((g: any) => g.name === 'metrics.k8s.io'),
      {
        name: 'metrics.k8s.io',
        versions: [{ groupVersion: 'metrics.k8s.io/v1beta1', version: 'v1beta1' }],
        preferredVersion: { groupVersion: 'metrics.k8s.io/v1beta1', version: 'v1beta1' },
      },
    );
    const agg = await h.request('GET', '/apis', {
      headers: { Accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList' },
    });
    const item = agg.json.items.find((g: any) => g.metadata.name === 'metrics.k8s.io');
    assert.deepEqual(
      item.versions[0].resources.map((r: any) => [r.resource, r.responseKind.kind, r.scope]),
      [
        ['nodes', 'NodeMetrics', 'Cluster'],
        ['pods', 'PodMetrics', 'Namespaced'],
      ],
    );
    assert.equal(item.versions[0].freshness, 'Current');
    const gv = await h.request('GET', '/apis/metrics.k8s.io/v1beta1');
    assert.deepEqual(gv.json, RESOURCES, "the group-version document is the backend's");
  });

  test("requests are proxied with the caller's identity, not its credentials", async () => {
    const r = await h.request('GET', '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods');
    assert.equal(r.status, 200);
    assert.equal(r.json.items[0].metadata.name, 'web-1');
    const last = seen.filter((x) => x.path.startsWith('/apis/metrics.k8s.io/v1beta1/namespaces/default/pods')).pop()!;
    assert.equal(last.user, 'admin');
    assert.match(String(last.groups), /system:masters/);
    assert.equal(last.auth, undefined);
    assert.ok(last.cert, 'the apiserver presents its proxy client certificate');
    const anon = await h.request('GET', '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods', { token: null });
    assert.equal(anon.status, 401, 'authentication happens before the proxy');
  });

  test('kubectl top pod and kubectl get apiservices', async () => {
    const top = await h.kubectl('top', 'pod', '-n', 'default');
    assert.equal(top.exitCode, 0, top.stderr);
    assert.match(top.stdout, /^NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)\s*\nweb-1\s+12m\s+34Mi/);
    const list = await h.kubectl('get', 'apiservices');
    assert.equal(list.exitCode, 0, list.stderr);
    assert.match(list.stdout, /v1beta1\.metrics\.k8s\.io\s+kube-system\/metrics-server\s+True\s+\d+s/);
  });

  test('extension-apiserver-authentication tells backends how to trust the proxy', async () => {
    const cm = await h.request('GET', '/api/v1/namespaces/kube-system/configmaps/extension-apiserver-authentication');
    assert.equal(cm.status, 200);
    assert.match(cm.json.data['client-ca-file'], /BEGIN CERTIFICATE/);
    assert.match(cm.json.data['requestheader-client-ca-file'], /BEGIN CERTIFICATE/);
    assert.deepEqual(JSON.parse(cm.json.data['requestheader-allowed-names']), ['kube-apiserver']);
    assert.deepEqual(JSON.parse(cm.json.data['requestheader-username-headers']), ['X-Remote-User']);
    assert.deepEqual(JSON.parse(cm.json.data['requestheader-group-headers']), ['X-Remote-Group']);
  });

  test('an APIService with a wrong name is refused; a missing Service makes it unavailable', async () => {
    const bad = await h.request('POST', '/apis/apiregistration.k8s.io/v1/apiservices', {
      body: JSON.stringify({
        apiVersion: 'apiregistration.k8s.io/v1',
        kind: 'APIService',
        metadata: { name: 'wrong' },
        spec: {
          group: 'x.example.com',
          version: 'v1',
          service: { namespace: 'default', name: 'none' },
          insecureSkipTLSVerify: true,
          groupPriorityMinimum: 1,
          versionPriority: 1,
        },
      }),
    });
    assert.equal(bad.status, 422);
    assert.equal(
      bad.json.message,
      'APIService.apiregistration.k8s.io "wrong" is invalid: metadata.name: Invalid value: "wrong": must be v1.x.example.com',
    );
    const ok = await h.request('POST', '/apis/apiregistration.k8s.io/v1/apiservices', {
      body: JSON.stringify({
        apiVersion: 'apiregistration.k8s.io/v1',
        kind: 'APIService',
        metadata: { name: 'v1.x.example.com' },
        spec: {
          group: 'x.example.com',
          version: 'v1',
          service: { namespace: 'default', name: 'none' },
          insecureSkipTLSVerify: true,
          groupPriorityMinimum: 1,
          versionPriority: 1,
        },
      }),
    });
    assert.equal(ok.status, 201, ok.text);
    let c: any;
    for (let i = 0; i < 50 && !c; i++) {
      await new Promise((res) => setTimeout(res, 100));
      c = (await h.request('GET', '/apis/apiregistration.k8s.io/v1/apiservices/v1.x.example.com')).json.status
        ?.conditions?.[0];
    }
    assert.deepEqual(
      [c.status, c.reason, c.message],
      ['False', 'ServiceNotFound', 'service/none in "default" is not present'],
    );
    const r = await h.request('GET', '/apis/x.example.com/v1/things');
    assert.equal(r.status, 503);
  });
});
