// pods/log: kubectl logs goes through the apiserver to the pod's node's kubelet (/containerLogs
// over TLS with the kubelet client certificate, verified against the cluster CA), with container
// choice and follow; without a node, a Status says why. The kubelet here is a small HTTPS server
// with a CA-signed serving certificate that records what it was asked.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import { createConnection, type AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import type { KubeletConnector } from '../../../cluster/apiserver/http/kubelet-proxy.js';
import { ensureLeafCert } from '../../../cluster/apiserver/leaf-certs.js';
import { NO_KUBECTL, startApiServer, type Harness } from './harness.js';

describe('pods/log', () => {
  before(() => {
    if (NO_KUBECTL) throw new Error(NO_KUBECTL);
  });
  let h: Harness;
  let kubelet: Server;
  const asked: { path: string; user: string }[] = [];
  const connector: KubeletConnector = {
    dial: () => createConnection((kubelet.address() as AddressInfo).port, '127.0.0.1'),
    tls: { ca: Buffer.alloc(0), cert: Buffer.alloc(0), key: Buffer.alloc(0) },
  };
  before(async () => {
    h = await startApiServer({ kubelet: connector, memory: true });
    const caDir = dirname(h.server.caPath);
    const client = await ensureLeafCert(caDir, {
      dir: join(h.dir, 'pki'),
      name: 'client',
      commonName: 'kube-apiserver-kubelet-client',
      organizations: ['system:masters'],
      usage: 'client',
    });
    connector.tls = { ca: client.ca, cert: client.cert, key: client.key };
    const serving = await ensureLeafCert(caDir, {
      dir: join(h.dir, 'pki'),
      name: 'kubelet',
      commonName: 'system:node:node5',
      usage: 'server',
      sans: ['IP:10.231.209.117'],
    });
    kubelet = createServer({ cert: serving.cert, key: serving.key, ca: serving.ca, requestCert: true }, (req, res) => {
      const sock = req.socket as TLSSocket;
      asked.push({ path: req.url ?? '', user: sock.authorized ? String(sock.getPeerCertificate().subject.CN) : '' });
      const [, , ns, pod, container] = (req.url ?? '').split('?')[0]!.split('/');
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.write(`${ns}/${pod}/${container} line 1\n${pod}/${container} line 2\n`);
      if (req.url?.includes('follow=true')) setTimeout(() => res.end(`${pod}/${container} followed\n`), 100);
      else res.end();
    });
    await new Promise<void>((r) => kubelet.listen(0, '127.0.0.1', () => r()));
  });
  after(async () => {
    kubelet?.close();
    await h?.stop();
  });

  test("kubectl logs reaches the node's kubelet; errors are Statuses", async () => {
    await h.request('POST', '/api/v1/nodes', {
      body: JSON.stringify({
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: 'node5' },
        status: {
          addresses: [{ type: 'InternalIP', address: '10.231.209.117' }],
          daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
        },
      }),
    });
    await h.request('PATCH', '/api/v1/nodes/node5/status', {
      body: JSON.stringify({
        status: {
          addresses: [{ type: 'InternalIP', address: '10.231.209.117' }],
          daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
        },
      }),
      headers: { 'Content-Type': 'application/merge-patch+json' },
    });
    const pod = (name: string, nodeName?: string) =>
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name },
        spec: {
          nodeName,
          containers: [
            { name: 'a', image: 'i' },
            { name: 'b', image: 'i' },
          ],
        },
      });
    await h.request('POST', '/api/v1/namespaces/default/pods', { body: pod('on-node', 'node5') });
    await h.request('POST', '/api/v1/namespaces/default/pods', { body: pod('pending') });
    const r = await h.kubectl('logs', 'on-node', '-c', 'b', '--tail=5');
    assert.equal(r.stdout, 'default/on-node/b line 1\non-node/b line 2');
    assert.equal(asked[0]!.path, '/containerLogs/default/on-node/b?tailLines=5');
    assert.equal(asked[0]!.user, 'kube-apiserver-kubelet-client');
    const f = await h.kubectl('logs', 'on-node', '-c', 'a', '-f');
    assert.equal(f.stdout, 'default/on-node/a line 1\non-node/a line 2\non-node/a followed');
    const noContainer = await h.request('GET', '/api/v1/namespaces/default/pods/on-node/log');
    assert.equal(noContainer.status, 400);
    assert.match(
      noContainer.json.message,
      /a container name must be specified for pod on-node, choose one of: \[a b\]/,
    );
    const pending = await h.kubectl('logs', 'pending', '-c', 'a');
    assert.match(pending.stderr, /pod pending does not have a host assigned/);
  });
});
