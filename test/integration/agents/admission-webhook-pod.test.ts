// An admission webhook that is a pod in a lab from `kubewire up`: a small Node.js HTTPS server in
// the kubia image (its certificate from a TLS Secret volume) behind a Service. The apiserver, in
// the cluster process on the host, reaches the Service's endpoint through its lab connector; the
// real kubectl sees the webhook's patch and warning, and its refusal worded as kube-apiserver
// words it.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ensurePki } from '../../../cluster/apiserver/pki.js';
import { assertKubectlInstalled, kubectlOn, upWithKubeconfig } from '../../helpers/kubectl-lab.js';
import { labTopology, NODE1 } from '../../helpers/lab-topology.js';
import { eventually, TestLab } from '../runtime/harness.js';

const TOPOLOGY = labTopology('webhook-pod', [NODE1], { hosts: [] });

// The webhook: /mutate labels the object admitted-by=pod-webhook (a JSONPatch) with a warning,
// /validate refuses objects labelled deny=true.
const SERVER = `
const https = require('https'), fs = require('fs');
const tls = { cert: fs.readFileSync('/tls/tls.crt'), key: fs.readFileSync('/tls/tls.key') };
https.createServer(tls, (q, s) => {
  let b = '';
  q.on('data', (d) => (b += d));
  q.on('end', () => {
    const r = JSON.parse(b).request;
    const labels = (r.object && r.object.metadata.labels) || {};
    const resp = { uid: r.uid, allowed: true };
    if (q.url.startsWith('/mutate')) {
      const ops = [];
      if (!r.object.metadata.labels) ops.push({ op: 'add', path: '/metadata/labels', value: {} });
      ops.push({ op: 'add', path: '/metadata/labels/admitted-by', value: 'pod-webhook' });
      resp.patchType = 'JSONPatch';
      resp.patch = Buffer.from(JSON.stringify(ops)).toString('base64');
      resp.warnings = ['patched by the in-lab webhook ' + require('os').hostname()];
    } else if (labels.deny === 'true') {
      resp.allowed = false;
      resp.status = { code: 403, message: 'deny=true is refused by the in-lab webhook' };
    }
    s.writeHead(200, { 'Content-Type': 'application/json' });
    s.end(JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: resp }));
  });
}).listen(8443);
`;

const lab = new TestLab(TOPOLOGY);
after(() => lab.cleanup());

test('a webhook pod in the lab mutates and refuses what kubectl creates', { timeout: 500_000 }, async () => {
  assertKubectlInstalled();
  const { kubeconfig } = await upWithKubeconfig(lab, TOPOLOGY, 180_000);
  const { run: kubectl, ok } = kubectlOn(kubeconfig, lab.stateBase);

  const pki = await ensurePki(join(lab.stateBase, 'hook-pki'), ['DNS:admission-hook.default.svc']);
  await ok([
    'create',
    'secret',
    'tls',
    'hook-tls',
    `--cert=${join(lab.stateBase, 'hook-pki', 'apiserver.crt')}`,
    `--key=${join(lab.stateBase, 'hook-pki', 'apiserver.key')}`,
  ]);
  const manifest = {
    apiVersion: 'v1',
    kind: 'List',
    items: [
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'admission-hook', labels: { app: 'admission-hook' } },
        spec: {
          containers: [
            {
              name: 'hook',
              image: 'kubia',
              command: ['node', '-e', SERVER],
              ports: [{ containerPort: 8443 }],
              readinessProbe: { tcpSocket: { port: 8443 }, periodSeconds: 1 },
              volumeMounts: [{ name: 'tls', mountPath: '/tls', readOnly: true }],
            },
          ],
          volumes: [{ name: 'tls', secret: { secretName: 'hook-tls' } }],
        },
      },
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'admission-hook' },
        spec: { selector: { app: 'admission-hook' }, ports: [{ name: 'https', port: 443, targetPort: 8443 }] },
      },
    ],
  };
  for (const item of manifest.items) await ok(['apply', '-f', '-'], JSON.stringify(item));
  await eventually(async () => {
    const r = await kubectl(['get', 'endpoints', 'admission-hook', '-o', 'jsonpath={.subsets[0].addresses[0].ip}']);
    return /^192\.168\.128\.\d+$/.test(r.stdout) ? true : undefined;
  }, 240_000);

  const webhook = (path: string) => ({
    clientConfig: {
      service: { namespace: 'default', name: 'admission-hook', path },
      caBundle: pki.caCertPem.toString('base64'),
    },
    rules: [{ operations: ['CREATE', 'UPDATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['configmaps'] }],
    namespaceSelector: { matchLabels: { 'admission-demo': 'on' } },
    sideEffects: 'None',
    admissionReviewVersions: ['v1'],
  });
  await ok(
    ['apply', '-f', '-'],
    JSON.stringify({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingWebhookConfiguration',
      metadata: { name: 'in-lab-mutator' },
      webhooks: [{ name: 'mutate.admission-hook.default.svc', ...webhook('/mutate') }],
    }),
  );
  await ok(
    ['apply', '-f', '-'],
    JSON.stringify({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: { name: 'in-lab-validator' },
      webhooks: [{ name: 'validate.admission-hook.default.svc', ...webhook('/validate') }],
    }),
  );
  await ok(['create', 'namespace', 'demo']);
  await ok(['label', 'namespace', 'demo', 'admission-demo=on']);

  const created = await ok(['-n', 'demo', 'create', 'configmap', 'settings', '--from-literal=a=b']);
  assert.match(created.stderr, /Warning: patched by the in-lab webhook admission-hook/);
  const label = await ok([
    '-n',
    'demo',
    'get',
    'configmap',
    'settings',
    '-o',
    'jsonpath={.metadata.labels.admitted-by}',
  ]);
  assert.equal(label.stdout, 'pod-webhook');
  const refused = await kubectl(['-n', 'demo', 'label', 'configmap', 'settings', 'deny=true']);
  assert.notEqual(refused.exitCode, 0);
  assert.match(
    refused.stderr,
    /admission webhook "validate\.admission-hook\.default\.svc" denied the request: deny=true is refused by the in-lab webhook/,
  );
  // Outside the selected namespaces the webhooks are not asked.
  await ok(['create', 'configmap', 'plain']);
  const plain = await ok(['get', 'configmap', 'plain', '-o', 'jsonpath={.metadata.labels}']);
  assert.equal(plain.stdout, '');

  // With the webhook pod gone, failurePolicy Fail refuses, as kube-apiserver does with no endpoints.
  await ok(['delete', 'pod', 'admission-hook', '--grace-period=0', '--force']);
  await eventually(async () => {
    const r = await kubectl(['-n', 'demo', 'create', 'configmap', 'after']);
    return r.exitCode !== 0 && /failed calling webhook "mutate\.admission-hook\.default\.svc"/.test(r.stderr)
      ? true
      : undefined;
  }, 60_000);

  const down = await lab.cli(['reset', '--lab', 'webhook-pod'], { timeoutMs: 180_000 });
  assert.equal(down.exitCode, 0, down.stderr);
});
