// Admission webhooks racing another writer (webhook-server.ts's /race and /race-delete write to the
// object while they answer): the apiserver applies a patch again onto the newer object, and refuses
// a delete whose preconditions the object no longer meets once its webhook answered. The other
// webhook tests: admission-webhooks.test.ts.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Harness } from './harness.js';
import { rules, selector, useWebhookLab } from './webhook-server.js';

describe('admission webhooks', () => {
  const w = useWebhookLab();
  let h: Harness;
  before(() => {
    ({ h } = w);
  });
  const service = (path: string) => w.service(path);
  const applyYaml = (obj: unknown) => w.applyYaml(obj);

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
    assert.equal(w.race.innerStatus, 200);
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
      assert.ok(w.race.deleteRaced.has(name), `the webhook saw the DELETE of ${name}`);
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
    assert.deepEqual(w.race.deleteInner, [200, 200, 201]);
    assert.equal((await h.kubectl('delete', 'validatingwebhookconfiguration', 'delete-racer')).exitCode, 0);
  });
});
