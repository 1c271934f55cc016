// CertificateSigningRequests end to end with the real kubectl: a key and request made with openssl,
// `kubectl certificate approve` (and deny), the csrsigning controller signing with the cluster CA,
// and the signed client certificate logging in to the apiserver as its subject (x509 auth), RBAC
// deciding what it may do. Also the root CA publisher and the TTL-after-finished controller.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import type { KubeObject } from '../../../common/api-types.js';
import { Resources } from '../../../cluster/client/resources.js';
import { ControllerManager } from '../../../cluster/controllers/controller-manager.js';
import { NO_KUBECTL, KUBECTL, startApiServer, type Harness } from '../apiserver/harness.js';
import { connect, until } from './kwok.js';

async function ok(h: Harness, ...args: string[]): Promise<string> {
  const r = await h.kubectl(...args);
  assert.equal(r.exitCode, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function request(h: Harness, name: string, subject: string): Promise<{ key: string; csr: string }> {
  const key = join(h.dir, `${name}.key`);
  const csr = join(h.dir, `${name}.csr`);
  await execa('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key]);
  await execa('openssl', ['req', '-new', '-key', key, '-subj', subject, '-out', csr]);
  return { key, csr };
}

function csrManifest(name: string, csrFile: string, signerName: string, usages: string[], seconds?: number): string {
  return JSON.stringify({
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: { name },
    spec: {
      request: readFileSync(csrFile).toString('base64'),
      signerName,
      usages,
      ...(seconds ? { expirationSeconds: seconds } : {}),
    },
  });
}

function startControllers(h: Harness, controllers: string[]) {
  const client = connect(h);
  const cm = new ControllerManager({
    client,
    leaderElection: false,
    onError: () => {},
    controllers,
    settings: {
      rootCa: readFileSync(h.server.caPath, 'utf8'),
      signer: { certFile: h.server.caPath, keyFile: join(h.dir, 'apiserver', 'ca.key') },
    },
  });
  const stop = cm.start();
  return {
    client,
    stop: () => {
      stop();
      client.close();
    },
  };
}

test(
  'kubectl certificate approve: the signer issues a client certificate that logs in as its subject',
  { skip: NO_KUBECTL },
  async (t) => {
    const h = await startApiServer({ memory: true });
    const c = startControllers(h, ['csrsigning']);
    t.after(async () => {
      c.stop();
      await h.stop();
    });
    const alice = await request(h, 'alice', '/O=devs/O=qa/CN=alice');
    const file = join(h.dir, 'alice-csr.json');
    writeFileSync(
      file,
      csrManifest(
        'alice',
        alice.csr,
        'kubernetes.io/kube-apiserver-client',
        ['client auth', 'digital signature'],
        3600,
      ),
    );
    await ok(h, 'create', '-f', file);
    const created = JSON.parse(await ok(h, 'get', 'csr', 'alice', '-o', 'json'));
    assert.equal(created.spec.username, 'admin', 'the requester is recorded, whatever the client sent');
    assert.deepEqual(created.spec.groups, ['system:masters', 'system:authenticated']);
    assert.match(
      await ok(h, 'get', 'csr', 'alice'),
      /alice\s+\S+\s+kubernetes.io\/kube-apiserver-client\s+admin\s+60m\s+Pending/,
    );

    assert.match(
      await ok(h, 'certificate', 'approve', 'alice'),
      /certificatesigningrequest.certificates.k8s.io\/alice approved/,
    );
    let issued: any;
    await until('alice issued', async () => {
      issued = JSON.parse(await ok(h, 'get', 'csr', 'alice', '-o', 'json'));
      return !!issued.status.certificate;
    });
    assert.equal(issued.status.conditions[0].type, 'Approved');
    assert.equal(issued.status.conditions[0].reason, 'KubectlApprove');
    assert.match(await ok(h, 'get', 'csr', 'alice'), /Approved,Issued/);
    const crt = join(h.dir, 'alice.crt');
    writeFileSync(crt, Buffer.from(issued.status.certificate, 'base64'));
    const x509 = await execa('openssl', [
      'x509',
      '-in',
      crt,
      '-noout',
      '-subject',
      '-issuer',
      '-dates',
      '-ext',
      'extendedKeyUsage',
    ]);
    assert.match(x509.stdout, /subject=O = devs, O = qa, CN = alice/);
    assert.match(x509.stdout, /issuer=CN = kubewire-ca/);
    assert.match(x509.stdout, /TLS Web Client Authentication/);
    const dates = /notBefore=(.*)\nnotAfter=(.*)/.exec(x509.stdout)!;
    assert.equal((Date.parse(dates[2]!) - Date.parse(dates[1]!)) / 1000, 3600 + 300, 'an hour, backdated 5 minutes');

    // A kubeconfig with only the certificate: the apiserver knows alice by her subject.
    const kc = join(h.dir, 'alice.kubeconfig');
    const as = (...args: string[]) =>
      execa(KUBECTL, ['--kubeconfig', kc, ...args], { reject: false, env: { HOME: h.dir }, timeout: 30_000 });
    writeFileSync(
      kc,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'lab', cluster: { server: h.server.url, 'certificate-authority': h.server.caPath } }],
        users: [{ name: 'alice', user: { 'client-certificate': crt, 'client-key': alice.key } }],
        contexts: [{ name: 'lab', context: { cluster: 'lab', user: 'alice' } }],
        'current-context': 'lab',
      }),
    );
    const who = await as('auth', 'whoami', '-o', 'json');
    assert.equal(who.exitCode, 0, who.stderr);
    assert.equal(JSON.parse(who.stdout).status.userInfo.username, 'alice');
    assert.deepEqual(JSON.parse(who.stdout).status.userInfo.groups, ['devs', 'qa', 'system:authenticated']);
    const denied = await as('get', 'configmaps', '-n', 'default');
    assert.match(denied.stderr, /User "alice" cannot list resource "configmaps"/);
    await ok(h, 'create', 'rolebinding', 'devs-view', '-n', 'default', '--clusterrole=view', '--group=devs');
    const allowed = await as('get', 'configmaps', '-n', 'default');
    assert.equal(allowed.exitCode, 0, allowed.stderr);

    // Denied: no certificate, ever.
    const bob = await request(h, 'bob', '/CN=bob');
    writeFileSync(file, csrManifest('bob', bob.csr, 'kubernetes.io/kube-apiserver-client', ['client auth']));
    await ok(h, 'create', '-f', file);
    assert.match(await ok(h, 'certificate', 'deny', 'bob'), /denied/);
    const again = await h.kubectl('certificate', 'approve', 'bob');
    assert.match(again.stderr, /certificate signing request "bob" is already Denied/);
    // Past kubectl's own check, the apiserver refuses too.
    const denied0 = JSON.parse(await ok(h, 'get', 'csr', 'bob', '-o', 'json'));
    denied0.status.conditions.push({ type: 'Approved', status: 'True', reason: 'Sneaky' });
    const forced = await h.request('PUT', '/apis/certificates.k8s.io/v1/certificatesigningrequests/bob/approval', {
      body: JSON.stringify(denied0),
    });
    assert.equal(forced.status, 422, forced.text);
    assert.match(forced.json.message, /Approved and Denied conditions are mutually exclusive/);
    denied0.status.conditions = [];
    const undo = await h.request('PUT', '/apis/certificates.k8s.io/v1/certificatesigningrequests/bob/approval', {
      body: JSON.stringify(denied0),
    });
    assert.equal(undo.status, 422, undo.text);
    assert.match(undo.json.message, /updates may not remove a condition of type "Denied"/);
    await new Promise((r) => setTimeout(r, 500));
    const bobNow = JSON.parse(await ok(h, 'get', 'csr', 'bob', '-o', 'json'));
    assert.equal(bobNow.status.certificate, undefined);
    assert.match(await ok(h, 'get', 'csr', 'bob'), /Denied\s*$/m);

    // The kubelet signer's rules: a node's name and group, else Failed.
    const fake = await request(h, 'fake-node', '/O=devs/CN=system:node:n1');
    writeFileSync(
      file,
      csrManifest('fake-node', fake.csr, 'kubernetes.io/kube-apiserver-client-kubelet', [
        'client auth',
        'digital signature',
      ]),
    );
    await ok(h, 'create', '-f', file);
    await ok(h, 'certificate', 'approve', 'fake-node');
    await until('fake-node failed', async () => /Failed/.test(await ok(h, 'get', 'csr', 'fake-node')));
    const failed = JSON.parse(await ok(h, 'get', 'csr', 'fake-node', '-o', 'json'));
    assert.equal(failed.status.conditions.find((x: any) => x.type === 'Failed').reason, 'SignerValidationFailure');
    const node = await request(h, 'node', '/O=system:nodes/CN=system:node:n1');
    writeFileSync(
      file,
      csrManifest('node-n1', node.csr, 'kubernetes.io/kube-apiserver-client-kubelet', [
        'client auth',
        'digital signature',
        'key encipherment',
      ]),
    );
    await ok(h, 'create', '-f', file);
    await ok(h, 'certificate', 'approve', 'node-n1');
    await until('node-n1 issued', async () => /Issued/.test(await ok(h, 'get', 'csr', 'node-n1')));
  },
);

test('root CA publisher and TTL-after-finished', async (t) => {
  const h = await startApiServer({ memory: true });
  const c = startControllers(h, ['root-ca-cert-publisher', 'ttl-after-finished', 'garbagecollector']);
  t.after(async () => {
    c.stop();
    await h.stop();
  });
  const cms = c.client.resource<KubeObject & { data?: Record<string, string> }>(Resources.configmaps);
  const ca = readFileSync(h.server.caPath, 'utf8');
  await c.client.namespaces.create({ metadata: { name: 'team-b' } });
  await until('kube-root-ca.crt in team-b', async () => {
    const list = await cms.list({ namespace: 'team-b' });
    return list.items.some((x) => x.metadata.name === 'kube-root-ca.crt' && x.data?.['ca.crt'] === ca);
  });
  // Edited: put back. Deleted: made again.
  const cm = await cms.get('kube-root-ca.crt', 'team-b');
  await cms.update({ ...cm, data: { 'ca.crt': 'tampered' } });
  await until('restored', async () => (await cms.get('kube-root-ca.crt', 'team-b')).data?.['ca.crt'] === ca);
  await cms.delete('kube-root-ca.crt', 'team-b');
  await until('recreated', async () => {
    const list = await cms.list({ namespace: 'team-b' });
    return list.items.some((x) => x.metadata.name === 'kube-root-ca.crt' && x.data?.['ca.crt'] === ca);
  });

  const jobs = c.client.resource<KubeObject & { spec?: any; status?: any }>(Resources.jobs);
  const template = {
    metadata: { labels: { app: 'once' } },
    spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] },
  };
  const mk = async (name: string, ttl: number) => {
    const j = await jobs.create({
      metadata: { name, namespace: 'team-b' },
      spec: { ttlSecondsAfterFinished: ttl, template },
    } as any);
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    await jobs.patch(
      name,
      {
        status: {
          startTime: now,
          completionTime: now,
          succeeded: 1,
          conditions: [
            { type: 'SuccessCriteriaMet', status: 'True', lastProbeTime: now, lastTransitionTime: now },
            { type: 'Complete', status: 'True', lastProbeTime: now, lastTransitionTime: now },
          ],
        },
      },
      'merge',
      { namespace: 'team-b', subresource: 'status' },
    );
    return j;
  };
  await mk('quick', 2);
  await mk('slow', 3600);
  const gone = async (n: string) =>
    !(await jobs.list({ namespace: 'team-b' })).items.some((j) => j.metadata.name === n);
  const t0 = Date.now();
  await until('quick deleted', () => gone('quick'), 15_000);
  // The finish time has whole seconds, so 2 s after it is at least 1 s after the patch.
  assert.ok(Date.now() - t0 >= 1000, 'not before its TTL');
  assert.equal(await gone('slow'), false);
});
