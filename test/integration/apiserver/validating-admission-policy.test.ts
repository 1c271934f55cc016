// ValidatingAdmissionPolicy end to end with the real kubectl: CEL validations with params from a
// ConfigMap, Deny and Warn bindings chosen by namespace selector, the kinds in discovery, and a
// policy that does not compile refused at create. CertificateSigningRequests list by
// spec.signerName (a field selector kubectl certificate tooling relies on).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { NO_KUBECTL, startApiServer, type Harness } from './harness.js';

describe('admission policies', () => {
  let h: Harness;
  const selector = { matchLabels: { webhooks: 'on' } };

  before(async () => {
    if (NO_KUBECTL) throw new Error(NO_KUBECTL);
    h = await startApiServer({ memory: true });
    for (const name of ['hooked', 'quiet']) assert.equal((await h.kubectl('create', 'namespace', name)).exitCode, 0);
    assert.equal((await h.kubectl('label', 'namespace', 'hooked', 'webhooks=on')).exitCode, 0);
  });

  after(async () => {
    await h?.stop();
  });

  async function applyYaml(obj: unknown): Promise<{ exitCode: number; stdout: string; stderr: string }> {
    const f = join(h.dir, `cfg-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(f, JSON.stringify(obj));
    return h.kubectl('apply', '-f', f);
  }

  test('ValidatingAdmissionPolicy with kubectl: Deny and Warn bindings, params, discovery', async () => {
    let r = await h.kubectl('api-resources', '--api-group=admissionregistration.k8s.io', '-o', 'name');
    assert.deepEqual(r.stdout.trim().split('\n').sort(), [
      'mutatingwebhookconfigurations.admissionregistration.k8s.io',
      'validatingadmissionpolicies.admissionregistration.k8s.io',
      'validatingadmissionpolicybindings.admissionregistration.k8s.io',
      'validatingwebhookconfigurations.admissionregistration.k8s.io',
    ]);
    assert.equal(
      (await h.kubectl('-n', 'hooked', 'create', 'configmap', 'limits', '--from-literal=max=3')).exitCode,
      0,
    );
    r = await applyYaml({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name: 'replica-limit' },
      spec: {
        paramKind: { apiVersion: 'v1', kind: 'ConfigMap' },
        matchConstraints: {
          resourceRules: [
            { operations: ['CREATE', 'UPDATE'], apiGroups: ['apps'], apiVersions: ['v1'], resources: ['deployments'] },
          ],
        },
        validations: [
          {
            expression: 'object.spec.replicas <= int(params.data.max)',
            messageExpression: '"replicas must be at most " + params.data.max',
          },
        ],
      },
    });
    assert.equal(r.exitCode, 0, r.stderr);
    r = await applyYaml({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicyBinding',
      metadata: { name: 'replica-limit-hooked' },
      spec: {
        policyName: 'replica-limit',
        validationActions: ['Deny'],
        paramRef: { name: 'limits', parameterNotFoundAction: 'Deny' },
        matchResources: { namespaceSelector: selector },
      },
    });
    assert.equal(r.exitCode, 0, r.stderr);
    r = await h.kubectl('get', 'validatingadmissionpolicies,validatingadmissionpolicybindings');
    assert.match(r.stdout, /replica-limit\s+1\s+v1\/ConfigMap/);
    assert.match(r.stdout, /replica-limit-hooked\s+replica-limit\s+\*\/limits/);
    r = await h.kubectl('-n', 'hooked', 'create', 'deployment', 'web', '--image=nginx', '--replicas=5');
    assert.notEqual(r.exitCode, 0);
    assert.match(
      r.stderr,
      /deployments\.apps "web" is forbidden: ValidatingAdmissionPolicy 'replica-limit' with binding 'replica-limit-hooked' denied request: replicas must be at most 3/,
    );
    assert.equal(
      (await h.kubectl('-n', 'hooked', 'create', 'deployment', 'web', '--image=nginx', '--replicas=2')).exitCode,
      0,
    );
    // Other namespaces are not bound; a Warn binding there only warns.
    r = await applyYaml({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicyBinding',
      metadata: { name: 'replica-limit-quiet' },
      spec: {
        policyName: 'replica-limit',
        validationActions: ['Warn'],
        paramRef: { name: 'limits', namespace: 'hooked', parameterNotFoundAction: 'Deny' },
        matchResources: { namespaceSelector: { matchExpressions: [{ key: 'webhooks', operator: 'DoesNotExist' }] } },
      },
    });
    assert.equal(r.exitCode, 0, r.stderr);
    r = await h.kubectl('-n', 'quiet', 'create', 'deployment', 'big', '--image=nginx', '--replicas=9');
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(
      r.stderr,
      /Warning: Validation failed for ValidatingAdmissionPolicy 'replica-limit' with binding 'replica-limit-quiet': replicas must be at most 3/,
    );
    // A policy whose expression does not compile is refused at create.
    r = await applyYaml({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name: 'broken' },
      spec: {
        matchConstraints: {
          resourceRules: [{ operations: ['*'], apiGroups: ['*'], apiVersions: ['*'], resources: ['*'] }],
        },
        validations: [{ expression: 'object.spec.' }],
      },
    });
    assert.notEqual(r.exitCode, 0);
    assert.match(r.stderr, /spec\.validations\[0\]\.expression: Invalid value: "object\.spec\.": compilation failed/);
  });

  test('CertificateSigningRequests list by spec.signerName', async () => {
    const pem = await execa('openssl', [
      'req',
      '-new',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      '/dev/null',
      '-subj',
      '/CN=webhook-test',
    ]);
    const CSR_PEM = Buffer.from(pem.stdout + '\n').toString('base64');
    const csr = (name: string, signerName: string) =>
      h.request('POST', '/apis/certificates.k8s.io/v1/certificatesigningrequests', {
        body: JSON.stringify({
          apiVersion: 'certificates.k8s.io/v1',
          kind: 'CertificateSigningRequest',
          metadata: { name },
          spec: {
            request: CSR_PEM,
            signerName,
            usages: ['client auth', 'digital signature'],
          },
        }),
      });
    const a = await csr('client-one', 'example.com/client');
    assert.equal(a.status, 201, a.text);
    const b = await csr('client-two', 'example.com/other');
    assert.equal(b.status, 201, b.text);
    const r = await h.kubectl('get', 'csr', '--field-selector', 'spec.signerName=example.com/client', '-o', 'name');
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'certificatesigningrequest.certificates.k8s.io/client-one');
  });
});
