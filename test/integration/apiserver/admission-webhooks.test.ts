// Admission webhooks end to end with the real kubectl: a real HTTPS webhook server (standing in for
// a pod: the apiserver's lab connector dials the Service's endpoint address, here mapped to a
// loopback port; webhook-server.ts) mutates with a JSONPatch, refuses with a message, warns; the
// apiserver applies failurePolicy to unreachable and untrusted webhooks, reinvokes IfNeeded
// webhooks, skips or refuses by matchConditions. Races between a webhook's answer and another
// writer: admission-webhooks-races.test.ts. ValidatingAdmissionPolicy:
// validating-admission-policy.test.ts.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Harness } from './harness.js';
import { DEAD_IP, rules, selector, useWebhookLab, type Seen } from './webhook-server.js';

describe('admission webhooks', () => {
  const w = useWebhookLab();
  let h: Harness;
  let seen: Seen[];
  before(() => {
    ({ h, seen } = w);
  });
  const service = (path: string) => w.service(path);
  const applyYaml = (obj: unknown) => w.applyYaml(obj);

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
        { service: { namespace: 'default', name: 'webhook', path: '/validate' }, caBundle: w.otherCa },
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
});
