// Admission webhooks end to end with the real kubectl: a real HTTPS webhook server (standing in for
// a pod: the apiserver's lab connector dials the Service's endpoint address, here mapped to a
// loopback port) mutates with a JSONPatch, refuses with a message, warns; the apiserver applies
// failurePolicy to unreachable and untrusted webhooks, reinvokes IfNeeded webhooks, skips or
// refuses by matchConditions, applies a patch again after a race, and refuses a delete whose
// preconditions the object no longer meets once its webhook answered. ValidatingAdmissionPolicy:
// validating-admission-policy.test.ts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import { createConnection, type AddressInfo } from 'node:net';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePki } from '../../../cluster/apiserver/pki.js';
import { NO_KUBECTL, startApiServer, type Harness } from './harness.js';

const POD_IP = '10.244.7.9';
const DEAD_IP = '10.244.7.10';

interface Seen {
  path: string;
  review: any;
}

describe('admission webhooks', () => {
  before(() => {
    if (NO_KUBECTL) throw new Error(NO_KUBECTL);
  });
  let h: Harness;
  let hook: Server;
  let closed: Server;
  let dir: string;
  let caBundle: string;
  let otherCa: string;
  const seen: Seen[] = [];
  let raced = false;
  let innerStatus = 0;
  const deleteRaced = new Set<string>();
  const deleteInner: number[] = [];

  before(async () => {
    dir = join(process.env.TMPDIR ?? '/tmp', `kw-webhooks-${process.pid}-${Date.now()}`);
    const pki = await ensurePki(join(dir, 'hook'), ['DNS:webhook.default.svc', `IP:${POD_IP}`]);
    otherCa = (await ensurePki(join(dir, 'other'), ['DNS:x'])).caCertPem.toString('base64');
    caBundle = pki.caCertPem.toString('base64');
    hook = createServer({ cert: pki.cert, key: pki.key }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const review = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        const path = new URL(req.url ?? '/', 'https://x').pathname;
        seen.push({ path: req.url ?? '', review });
        const r = review.request;
        const labels = r.object?.metadata?.labels ?? {};
        const reply = (response: Record<string, unknown>) => {
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.end(
            JSON.stringify({
              apiVersion: 'admission.k8s.io/v1',
              kind: 'AdmissionReview',
              response: { uid: r.uid, ...response },
            }),
          );
        };
        const patch = (ops: unknown[]) => Buffer.from(JSON.stringify(ops)).toString('base64');
        if (path === '/mutate') {
          const ops = labels['mutated-by']
            ? []
            : [{ op: 'add', path: '/metadata/labels/mutated-by', value: 'webhook' }];
          if (!r.object.metadata.labels) ops.unshift({ op: 'add', path: '/metadata/labels', value: {} } as never);
          return reply({
            allowed: true,
            warnings: ['mutated by the test webhook'],
            ...(ops.length ? { patchType: 'JSONPatch', patch: patch(ops) } : {}),
          });
        }
        if (path === '/count') {
          // An IfNeeded webhook: it sees the object again when a later webhook changed it.
          return reply({ allowed: true });
        }
        if (path === '/validate') {
          if (labels.deny === 'true')
            return reply({ allowed: false, status: { code: 403, message: 'label deny=true is not allowed here' } });
          return reply({ allowed: true });
        }
        if (path === '/race' && r.name === 'racy' && r.operation === 'UPDATE' && !raced) {
          // Another writer changes the object while this webhook is answering.
          raced = true;
          void h
            .request('PATCH', '/api/v1/namespaces/hooked/configmaps/racy', {
              body: JSON.stringify({ metadata: { labels: { raced: 'yes' } } }),
              headers: { 'Content-Type': 'application/merge-patch+json' },
            })
            .then((inner) => {
              innerStatus = inner.status;
              reply({ allowed: true });
            });
          return;
        }
        if (path === '/race') return reply({ allowed: true });
        if (path === '/race-delete' && r.operation === 'DELETE' && !deleteRaced.has(r.name)) {
          // Another writer changes (stale-rv) or replaces (stale-uid) the object while this webhook
          // is answering a DELETE whose preconditions held against the object as it was.
          deleteRaced.add(r.name);
          const url = `/api/v1/namespaces/hooked/configmaps/${r.name}`;
          const write =
            r.name === 'stale-rv'
              ? h.request('PATCH', url, {
                  body: JSON.stringify({ metadata: { labels: { raced: 'yes' } } }),
                  headers: { 'Content-Type': 'application/merge-patch+json' },
                })
              : h.request('DELETE', url).then((gone) => {
                  deleteInner.push(gone.status);
                  return h.request('POST', '/api/v1/namespaces/hooked/configmaps', {
                    body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: r.name } }),
                  });
                });
          void write.then((inner) => {
            deleteInner.push(inner.status);
            reply({ allowed: true });
          });
          return;
        }
        if (path === '/race-delete') return reply({ allowed: true });
        if (path === '/slow') {
          setTimeout(() => reply({ allowed: true }), 3000);
          return;
        }
        res.writeHead(404);
        res.end();
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const port = (hook.address() as AddressInfo).port;
    h = await startApiServer({
      memory: true,
      kubelet: {
        dial: (host, p) => {
          if (host === POD_IP && p === 8443) return createConnection(port, '127.0.0.1');
          if (host === DEAD_IP) return createConnection(deadPort, '127.0.0.1');
          throw new Error(`cannot dial ${host}:${p}`);
        },
        tls: { ca: pki.caCertPem, cert: pki.cert, key: pki.key },
      },
    });
    const apply = async (obj: unknown) => {
      const f = join(h.dir, `obj-${Math.random().toString(36).slice(2)}.json`);
      writeFileSync(f, JSON.stringify(obj));
      const r = await h.kubectl('apply', '-f', f);
      assert.equal(r.exitCode, 0, r.stderr);
    };
    await apply({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'webhook', namespace: 'default' },
      spec: { ports: [{ name: 'https', port: 443, targetPort: 8443 }] },
    });
    await apply({
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'webhook', namespace: 'default' },
      subsets: [{ addresses: [{ ip: POD_IP }], ports: [{ name: 'https', port: 8443 }] }],
    });
    for (const name of ['hooked', 'quiet']) assert.equal((await h.kubectl('create', 'namespace', name)).exitCode, 0);
    assert.equal((await h.kubectl('label', 'namespace', 'hooked', 'webhooks=on')).exitCode, 0);
  });

  after(async () => {
    await h?.stop();
    hook?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const service = (path: string) => ({ service: { namespace: 'default', name: 'webhook', path }, caBundle });
  const rules = [{ operations: ['CREATE', 'UPDATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['configmaps'] }];
  const selector = { matchLabels: { webhooks: 'on' } };

  async function applyYaml(obj: unknown): Promise<{ exitCode: number; stdout: string; stderr: string }> {
    const f = join(h.dir, `cfg-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(f, JSON.stringify(obj));
    return h.kubectl('apply', '-f', f);
  }

  test('a mutating webhook patches, a validating one refuses in kube-apiserver words, warnings reach kubectl', async () => {
    let r = await applyYaml({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingWebhookConfiguration',
      metadata: { name: 'label-adder' },
      webhooks: [
        {
          name: 'mutate.webhooks.example.com',
          clientConfig: service('/mutate'),
          rules,
          namespaceSelector: selector,
          sideEffects: 'None',
          admissionReviewVersions: ['v1'],
        },
      ],
    });
    assert.equal(r.exitCode, 0, r.stderr);
    r = await applyYaml({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: { name: 'denier' },
      webhooks: [
        {
          name: 'validate.webhooks.example.com',
          clientConfig: service('/validate'),
          rules,
          namespaceSelector: selector,
          sideEffects: 'None',
          admissionReviewVersions: ['v1', 'v1beta1'],
          timeoutSeconds: 5,
        },
      ],
    });
    assert.equal(r.exitCode, 0, r.stderr);
    r = await h.kubectl('get', 'mutatingwebhookconfigurations');
    assert.match(r.stdout, /^NAME\s+WEBHOOKS\s+AGE\nlabel-adder\s+1\s+/);

    r = await h.kubectl('-n', 'hooked', 'create', 'configmap', 'one', '--from-literal=a=b');
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stderr, /Warning: mutated by the test webhook/);
    r = await h.kubectl('-n', 'hooked', 'get', 'configmap', 'one', '-o', 'jsonpath={.metadata.labels.mutated-by}');
    assert.equal(r.stdout, 'webhook');
    const review = seen.find((s) => s.path.startsWith('/mutate'))!;
    assert.match(review.path, /^\/mutate\?timeout=10s$/);
    assert.equal(review.review.request.operation, 'CREATE');
    assert.equal(review.review.request.userInfo.username, 'admin');
    assert.equal(review.review.request.object.kind, 'ConfigMap');
    assert.equal(review.review.request.options.kind, 'CreateOptions');

    // Outside the selected namespace nothing is called.
    const before = seen.length;
    r = await h.kubectl('-n', 'quiet', 'create', 'configmap', 'two', '--from-literal=a=b');
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(seen.length, before);

    r = await h.kubectl('-n', 'hooked', 'label', 'configmap', 'one', 'deny=true');
    assert.notEqual(r.exitCode, 0);
    assert.match(
      r.stderr,
      /admission webhook "validate\.webhooks\.example\.com" denied the request: label deny=true is not allowed here/,
    );
    const raw = await h.request('POST', '/api/v1/namespaces/hooked/configmaps', {
      body: JSON.stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'three', labels: { deny: 'true' } },
      }),
    });
    assert.equal(raw.status, 403);
    assert.deepEqual(raw.json, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message:
        'admission webhook "validate.webhooks.example.com" denied the request: label deny=true is not allowed here',
      code: 403,
    });
    assert.match(String(raw.headers.warning), /mutated by the test webhook/);
    // Dry runs reach webhooks whose sideEffects are None, with dryRun set.
    r = await h.kubectl(
      '-n',
      'hooked',
      'create',
      'configmap',
      'dry',
      '--dry-run=server',
      '-o',
      'jsonpath={.metadata.labels.mutated-by}',
    );
    assert.equal(r.stdout, 'webhook', r.stderr);
    assert.equal(seen.at(-1)!.review.request.dryRun, true);
    assert.equal((await h.kubectl('delete', 'mutatingwebhookconfiguration', 'label-adder')).exitCode, 0);
    assert.equal((await h.kubectl('delete', 'validatingwebhookconfiguration', 'denier')).exitCode, 0);
  });

  test('failurePolicy: unreachable, untrusted and slow webhooks fail closed or open', async () => {
    const cfg = (name: string, clientConfig: unknown, failurePolicy: string, timeoutSeconds = 10) => ({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: { name },
      webhooks: [
        {
          name: `${name}.webhooks.example.com`,
          clientConfig,
          rules,
          namespaceSelector: selector,
          sideEffects: 'None',
          admissionReviewVersions: ['v1'],
          failurePolicy,
          timeoutSeconds,
        },
      ],
    });
    const tryCreate = (name: string) => h.kubectl('-n', 'hooked', 'create', 'configmap', name);
    let r = await applyYaml(cfg('dead', { url: `https://${DEAD_IP}/validate` }, 'Fail'));
    assert.equal(r.exitCode, 0, r.stderr);
    r = await tryCreate('c1');
    assert.notEqual(r.exitCode, 0);
    assert.match(
      r.stderr,
      new RegExp(
        `Internal error occurred: failed calling webhook "dead\\.webhooks\\.example\\.com": failed to call webhook: Post "https://${DEAD_IP.replace(/\./g, '\\.')}/validate\\?timeout=10s": dial tcp ${DEAD_IP.replace(/\./g, '\\.')}:443: connect: connection refused`,
      ),
    );
    r = await applyYaml(cfg('dead', { url: `https://${DEAD_IP}/validate` }, 'Ignore'));
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal((await tryCreate('c2')).exitCode, 0);
    assert.equal((await h.kubectl('delete', 'validatingwebhookconfiguration', 'dead')).exitCode, 0);

    r = await applyYaml(
      cfg(
        'untrusted',
        { service: { namespace: 'default', name: 'webhook', path: '/validate' }, caBundle: otherCa },
        'Fail',
      ),
    );
    assert.equal(r.exitCode, 0, r.stderr);
    r = await tryCreate('c3');
    assert.match(
      r.stderr,
      /failed calling webhook "untrusted\.webhooks\.example\.com": failed to call webhook: Post "https:\/\/webhook\.default\.svc:443\/validate\?timeout=10s": tls: failed to verify certificate: x509: certificate signed by unknown authority/,
    );
    assert.equal((await h.kubectl('delete', 'validatingwebhookconfiguration', 'untrusted')).exitCode, 0);

    r = await applyYaml(cfg('slow', service('/slow'), 'Fail', 1));
    assert.equal(r.exitCode, 0, r.stderr);
    r = await tryCreate('c4');
    assert.match(
      r.stderr,
      /failed calling webhook "slow\.webhooks\.example\.com": failed to call webhook: Post "https:\/\/webhook\.default\.svc:443\/slow\?timeout=1s": context deadline exceeded/,
    );
    assert.equal((await h.kubectl('delete', 'validatingwebhookconfiguration', 'slow')).exitCode, 0);
    r = await applyYaml({
      ...cfg('bad', service('/x'), 'Sometimes'),
      webhooks: [{ ...cfg('bad', service('/x'), 'Sometimes').webhooks[0], name: 'bad' }],
    });
    assert.notEqual(r.exitCode, 0);
    assert.match(
      r.stderr,
      /The ValidatingWebhookConfiguration "bad" is invalid: \n\* webhooks\[0\]\.name: Invalid value: "bad": should be a domain with at least three segments separated by dots\n\* webhooks\[0\]\.failurePolicy: Unsupported value: "Sometimes": supported values: "Fail", "Ignore"/,
    );
  });

  test('reinvocationPolicy IfNeeded: an earlier webhook sees the object again after a later one changed it', async () => {
    const mk = (name: string, path: string, reinvocationPolicy: string) => ({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingWebhookConfiguration',
      metadata: { name },
      webhooks: [
        {
          name: `${name}.webhooks.example.com`,
          clientConfig: service(path),
          rules,
          namespaceSelector: selector,
          sideEffects: 'None',
          admissionReviewVersions: ['v1'],
          reinvocationPolicy,
        },
      ],
    });
    assert.equal((await applyYaml(mk('a-counter', '/count', 'IfNeeded'))).exitCode, 0);
    assert.equal((await applyYaml(mk('b-labeler', '/mutate', 'Never'))).exitCode, 0);
    const from = seen.length;
    const r = await h.kubectl('-n', 'hooked', 'create', 'configmap', 'again');
    assert.equal(r.exitCode, 0, r.stderr);
    const calls = seen.slice(from).map((s) => new URL(s.path, 'https://x').pathname);
    assert.deepEqual(calls, ['/count', '/mutate', '/count']);
    assert.equal(seen.at(-1)!.review.request.object.metadata.labels['mutated-by'], 'webhook');
    assert.equal((await h.kubectl('delete', 'mutatingwebhookconfiguration', 'a-counter', 'b-labeler')).exitCode, 0);
  });

  test('matchConditions: a false condition skips the webhook, an error refuses under Fail', async () => {
    const cfg = (expression: string) => ({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: { name: 'conditional' },
      webhooks: [
        {
          name: 'conditional.webhooks.example.com',
          clientConfig: service('/validate'),
          rules,
          namespaceSelector: selector,
          sideEffects: 'None',
          admissionReviewVersions: ['v1'],
          matchConditions: [{ name: 'not-exempt', expression }],
        },
      ],
    });
    let r = await applyYaml(cfg('object.metadata.name != "exempt"'));
    assert.equal(r.exitCode, 0, r.stderr);
    const create = (name: string) =>
      h.request('POST', '/api/v1/namespaces/hooked/configmaps', {
        body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels: { deny: 'true' } } }),
      });
    assert.equal((await create('exempt')).status, 201);
    const refused = await create('not-exempt');
    assert.equal(refused.status, 403);
    assert.match(refused.json.message, /admission webhook "conditional\.webhooks\.example\.com" denied the request/);
    r = await applyYaml(cfg('object.metadata.labels.missing == "x"'));
    assert.equal(r.exitCode, 0, r.stderr);
    const broken = await create('any');
    assert.equal(broken.status, 403);
    assert.equal(
      broken.json.message,
      `configmaps "any" is forbidden: failed to evaluate matchCondition 'not-exempt': expression 'object.metadata.labels.missing == "x"' resulted in error: no such key: missing`,
    );
    r = await applyYaml(cfg('object.metadata.'));
    assert.notEqual(r.exitCode, 0);
    assert.match(
      r.stderr,
      /webhooks\[0\]\.matchConditions\[0\]\.expression: Invalid value: "object\.metadata\.": compilation failed/,
    );
    assert.equal((await h.kubectl('delete', 'validatingwebhookconfiguration', 'conditional')).exitCode, 0);
  });

  test('a patch that lost a race while its webhook answered is applied again onto the newer object', async () => {
    let r = await applyYaml({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: { name: 'racer' },
      webhooks: [
        {
          name: 'race.webhooks.example.com',
          clientConfig: service('/race'),
          rules,
          namespaceSelector: selector,
          sideEffects: 'None',
          admissionReviewVersions: ['v1'],
        },
      ],
    });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal((await h.kubectl('-n', 'hooked', 'create', 'configmap', 'racy')).exitCode, 0);
    r = await h.kubectl('-n', 'hooked', 'label', 'configmap', 'racy', 'mine=yes');
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(innerStatus, 200);
    r = await h.kubectl('-n', 'hooked', 'get', 'configmap', 'racy', '-o', 'jsonpath={.metadata.labels}');
    assert.deepEqual(JSON.parse(r.stdout), { mine: 'yes', raced: 'yes' });
    assert.equal((await h.kubectl('delete', 'validatingwebhookconfiguration', 'racer')).exitCode, 0);
  });

  test('a delete whose preconditions went stale while its webhook answered is refused with 409', async () => {
    const r = await applyYaml({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: { name: 'delete-racer' },
      webhooks: [
        {
          name: 'race-delete.webhooks.example.com',
          clientConfig: service('/race-delete'),
          rules: [{ operations: ['DELETE'], apiGroups: [''], apiVersions: ['v1'], resources: ['configmaps'] }],
          namespaceSelector: selector,
          sideEffects: 'None',
          admissionReviewVersions: ['v1'],
        },
      ],
    });
    assert.equal(r.exitCode, 0, r.stderr);
    const url = (name: string) => `/api/v1/namespaces/hooked/configmaps/${name}`;
    for (const [name, field] of [
      ['stale-rv', 'resourceVersion'],
      ['stale-uid', 'uid'],
    ] as const) {
      assert.equal((await h.kubectl('-n', 'hooked', 'create', 'configmap', name)).exitCode, 0);
      const before = (await h.request('GET', url(name))).json;
      const del = await h.request('DELETE', url(name), {
        body: JSON.stringify({
          kind: 'DeleteOptions',
          apiVersion: 'v1',
          preconditions: { [field]: before.metadata[field] },
        }),
      });
      assert.ok(deleteRaced.has(name), `the webhook saw the DELETE of ${name}`);
      assert.equal(del.status, 409, `${name}: ${del.text}`);
      const now = (await h.request('GET', url(name))).json;
      assert.notEqual(now.metadata[field], before.metadata[field], `${name}: the race changed ${field}`);
      assert.equal(del.json.reason, 'Conflict');
      const Field = field === 'uid' ? 'UID' : 'ResourceVersion';
      assert.equal(
        del.json.message,
        `Operation cannot be fulfilled on configmaps "${name}": Precondition failed: ${Field} in precondition: ${before.metadata[field]}, ${Field} in object meta: ${now.metadata[field]}`,
      );
      // The object the preconditions did not name is still there, with no deletionTimestamp.
      assert.equal(now.metadata.deletionTimestamp, undefined);
    }
    assert.deepEqual(deleteInner, [200, 200, 201]);
    assert.equal((await h.kubectl('delete', 'validatingwebhookconfiguration', 'delete-racer')).exitCode, 0);
  });
});
