// Every field of valid manifests replaced in turn by null, a string, a number, a list, an object
// and a list holding null: each request is answered 201 or with a 4xx Status — never a 500.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startApiServer, type Harness } from './harness.js';

const SAMPLES: [string, Record<string, any>][] = [
  [
    '/apis/apps/v1/namespaces/default/deployments',
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd', labels: { a: 'b' } },
      spec: {
        replicas: 1,
        selector: { matchLabels: { a: 'b' }, matchExpressions: [{ key: 'a', operator: 'In', values: ['b'] }] },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } },
        template: {
          metadata: { labels: { a: 'b' } },
          spec: {
            containers: [
              {
                name: 'c',
                image: 'i',
                ports: [{ containerPort: 80 }],
                env: [{ name: 'E', value: 'v' }],
                livenessProbe: { httpGet: { path: '/', port: 80 } },
              },
            ],
            volumes: [{ name: 'v', emptyDir: {} }],
          },
        },
      },
    },
  ],
  [
    '/api/v1/namespaces/default/services',
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 's' },
      spec: {
        type: 'NodePort',
        selector: { a: 'b' },
        ports: [{ name: 'http', port: 80, targetPort: 8080, nodePort: 30080 }],
      },
    },
  ],
  [
    '/api/v1/namespaces/default/pods',
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', annotations: { x: 'y' } },
      spec: { nodeName: 'n', containers: [{ name: 'c', image: 'i', resources: { limits: { cpu: '1' } } }] },
    },
  ],
];

function* paths(o: unknown, prefix: string[] = []): Generator<string[]> {
  if (o === null || typeof o !== 'object') return;
  for (const [k, v] of Object.entries(o)) {
    const p = [...prefix, k];
    yield p;
    yield* paths(v, p);
  }
}

function replaced(o: any, path: string[], value: unknown): any {
  const copy = structuredClone(o);
  let cur = copy;
  for (const k of path.slice(0, -1)) cur = cur[k];
  cur[path[path.length - 1]!] = value;
  return copy;
}

let h: Harness;
before(async () => {
  h = await startApiServer({ memory: true });
});
after(async () => {
  await h?.stop();
});

test('malformed fields never cause a 500', async () => {
  let n = 0;
  const failures: string[] = [];
  for (const [url, sample] of SAMPLES) {
    for (const path of paths(sample)) {
      if (
        path[0] === 'apiVersion' ||
        path[0] === 'kind' ||
        (path[0] === 'metadata' && path[1] === 'name' && path.length === 2)
      )
        continue;
      for (const bad of [null, 'x', 7, [], {}, [null]]) {
        const body = replaced(sample, path, bad);
        const r = await h.request('POST', url, { body: JSON.stringify(body) });
        n++;
        if (!(r.status === 201 || (r.status >= 400 && r.status < 500 && r.json?.kind === 'Status')))
          failures.push(`${path.join('.')} = ${JSON.stringify(bad)}: ${r.status} ${r.text.slice(0, 200)}`);
        if (r.status === 201) await h.request('DELETE', `${url}/${r.json.metadata.name}?gracePeriodSeconds=0`);
      }
    }
  }
  assert.deepEqual(failures, []);
  assert.ok(n > 200);
});
