import { test } from 'node:test';
import assert from 'node:assert/strict';
import { unknownFields } from '../../../cluster/apiserver/schema/known-fields.js';

const deploy = { group: 'apps', version: 'v1', kind: 'Deployment' };

test('unknown fields are named by path; known ones (inlined, maps, int-or-string) pass', () => {
  const obj = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'd', labels: { a: 'b' }, annotaions: {} },
    spec: {
      replicas: 1,
      strategy: { rollingUpdate: { maxSurge: '25%' } },
      template: {
        metadata: { labels: { a: 'b' }, creationTimestamp: null },
        spec: {
          containers: [
            {
              name: 'c',
              image: 'i',
              imagee: 'typo',
              livenessProbe: { httpGet: { path: '/', port: 'http' }, periodSeconds: 5 },
              resources: { limits: { cpu: '1' } },
            },
          ],
          volumes: [{ name: 'v', configMap: { name: 'cm', items: [{ key: 'k', path: 'p' }] }, emptyDirr: {} }],
        },
      },
    },
    status: {},
    extra: 1,
  };
  assert.deepEqual(unknownFields(deploy, obj), [
    'metadata.annotaions',
    'spec.template.spec.containers[0].imagee',
    'spec.template.spec.volumes[0].emptyDirr',
    'extra',
  ]);
  assert.deepEqual(
    unknownFields(
      { group: '', version: 'v1', kind: 'Secret' },
      { type: 'Opaque', data: { a: 'eA==' }, stringData: { b: 'x' } },
    ),
    [],
  );
  assert.deepEqual(unknownFields({ group: 'example.com', version: 'v1', kind: 'Widget' }, { anything: 1 }), []);
});
