// The kubelet's projected service-account token: asked of the apiserver bound to the pod (its
// account, the source's audience and expiry), written with the CA and namespace, and rewritten once
// 80 % of its life has passed — the ..data swap replaces the files in place and the old generation
// is removed; before that, refresh() leaves the volume alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod } from '../../../common/api-types.js';
import type { KubeClient } from '../../../cluster/client/kube-client.js';
import { PodVolumes } from '../../../cluster/agents/kubelet/pod-volumes.js';

test('a projected token is requested bound to the pod and refreshed at 80 % of its life', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kw-token-volume-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  let now = Date.parse('2026-01-01T00:00:00Z');
  const requests: { name: string; ns: string; sub: string; body: any }[] = [];
  const client = {
    resource: (type: { resource: string }) => ({
      createSubresource: async (name: string, ns: string, sub: string, body: unknown) => {
        assert.equal(type.resource, 'serviceaccounts');
        requests.push({ name, ns, sub, body });
        const exp = new Date(now + 3600_000).toISOString().replace(/\.\d+Z$/, 'Z');
        return { status: { token: `token-${requests.length}`, expirationTimestamp: exp } };
      },
      get: async (name: string) => {
        assert.equal(name, 'kube-root-ca.crt');
        return { metadata: { name }, data: { 'ca.crt': 'CA PEM' } };
      },
    }),
  } as unknown as KubeClient;
  const volumes = new PodVolumes({
    client,
    podDir: () => join(dir, 'pod'),
    mountTmpfs: async () => {},
    unmount: async () => {},
    pvDir: join(dir, 'pv'),
    now: () => now,
  });
  const pod: Pod = {
    metadata: { name: 'web', namespace: 'team', uid: 'uid-1' },
    spec: {
      serviceAccountName: 'reader',
      containers: [{ name: 'c', image: 'busybox' }],
      volumes: [
        {
          name: 'kube-api-access-abcde',
          projected: {
            defaultMode: 420,
            sources: [
              { serviceAccountToken: { path: 'token', expirationSeconds: 3600, audience: 'vault' } },
              { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
              {
                downwardAPI: {
                  items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }],
                },
              },
            ],
          },
        },
      ],
    },
  } as Pod;
  const paths = await volumes.setUp(pod);
  const vol = paths.get('kube-api-access-abcde')!;
  assert.equal(readFileSync(join(vol, 'token'), 'utf8'), 'token-1');
  assert.equal(readFileSync(join(vol, 'ca.crt'), 'utf8'), 'CA PEM');
  assert.equal(readFileSync(join(vol, 'namespace'), 'utf8'), 'team');
  assert.deepEqual(requests[0], {
    name: 'reader',
    ns: 'team',
    sub: 'token',
    body: {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: {
        audiences: ['vault'],
        expirationSeconds: 3600,
        boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'web', uid: 'uid-1' },
      },
    },
  });

  now += 47 * 60_000; // 78 % of the hour: not yet
  assert.equal(await volumes.refresh(pod), false);
  assert.equal(requests.length, 1);
  now += 2 * 60_000; // 82 %
  assert.equal(await volumes.refresh(pod), true);
  assert.equal(requests.length, 2);
  assert.equal(readFileSync(join(vol, 'token'), 'utf8'), 'token-2', 'the same path shows the new token');
  const generations = readdirSync(vol).filter((f) => f.startsWith('..') && f !== '..data');
  assert.equal(generations.length, 1, `only the current generation stays: ${generations.join(' ')}`);
  assert.equal(await volumes.refresh(pod), false, 'the new token has its own 80 % mark');

  await volumes.tearDown(pod);
  now += 24 * 3600_000;
  assert.equal(await volumes.refresh(pod), false, 'a pod torn down is not refreshed');
});
