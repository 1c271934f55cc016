import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../common/api-types.js';
import { clusterRequestValidators, formatAge } from '../../../common/cluster-contract.js';
import { clusterTable } from '../../../server/cluster/table-rows.js';
import { restConfigFromKubeconfig } from '../../../server/cluster/kubeconfig-reader.js';
import { kubeconfigText } from '../../../cluster/apiserver/kubeconfig.js';

const t0 = Date.parse('2026-11-26T10:00:00Z');
const meta = (name: string, namespace?: string) => ({
  name,
  ...(namespace ? { namespace } : {}),
  creationTimestamp: '2026-11-26T10:00:00Z',
});

test('pods read like kubectl get pods', () => {
  const pods = [
    {
      metadata: meta('kubia-b', 'default'),
      spec: { nodeName: 'node5', containers: [{ name: 'kubia', image: 'kubia' }] },
      status: {
        phase: 'Running',
        podIP: '192.168.132.73',
        containerStatuses: [{ name: 'kubia', ready: true, restartCount: 2 }],
      },
    },
    {
      metadata: meta('kubia-a', 'default'),
      spec: { containers: [{ name: 'kubia', image: 'kubia' }] },
      status: { phase: 'Pending' },
    },
  ] as unknown as KubeObject[];
  const t = clusterTable('pods', pods, t0 + 90_000);
  assert.deepEqual(t.columns, ['NAMESPACE', 'NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE']);
  assert.deepEqual(
    t.rows.map((r) => r.cells),
    [
      ['default', 'kubia-a', '0/1', 'Pending', '0', '', '<none>', '<none>'],
      ['default', 'kubia-b', '1/1', 'Running', '2', '', '192.168.132.73', 'node5'],
    ],
  );
  assert.equal(t.rows[0]!.createdAt, t0);
});

test('services, endpoints, deployments and nodes have their kubectl columns', () => {
  const svc = {
    metadata: meta('kubia', 'default'),
    spec: { type: 'NodePort', clusterIP: '192.168.199.65', ports: [{ port: 80, nodePort: 32681, protocol: 'TCP' }] },
  };
  assert.deepEqual(clusterTable('services', [svc as unknown as KubeObject], t0).rows[0]!.cells, [
    'default',
    'kubia',
    'NodePort',
    '192.168.199.65',
    '80:32681/TCP',
    '',
  ]);
  const ep = {
    metadata: meta('kubia', 'default'),
    subsets: [{ addresses: [{ ip: '192.168.132.73' }, { ip: '192.168.129.14' }], ports: [{ port: 8080 }] }],
  };
  assert.equal(
    clusterTable('endpoints', [ep as unknown as KubeObject], t0).rows[0]!.cells[2],
    '192.168.132.73:8080,192.168.129.14:8080',
  );
  const dep = {
    metadata: meta('kubia', 'default'),
    spec: { replicas: 3 },
    status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 },
  };
  assert.deepEqual(clusterTable('deployments', [dep as unknown as KubeObject], t0).rows[0]!.cells, [
    'default',
    'kubia',
    '2/3',
    '3',
    '2',
    '',
  ]);
  const node = {
    metadata: meta('node5'),
    spec: { podCIDR: '192.168.132.0/24' },
    status: {
      conditions: [{ type: 'Ready', status: 'True' }],
      addresses: [{ type: 'InternalIP', address: '10.231.209.117' }],
    },
  };
  assert.deepEqual(clusterTable('nodes', [node as unknown as KubeObject], t0).rows[0]!.cells, [
    'node5',
    'Ready',
    '',
    '10.231.209.117',
    '192.168.132.0/24',
  ]);
});

test('ages print as kubectl does', () => {
  assert.deepEqual(
    [formatAge(5_000), formatAge(150_000), formatAge(3 * 3600_000), formatAge(3 * 86400_000)],
    ['5s', '2m', '3h', '3d'],
  );
});

test('the apiserver admin kubeconfig reads back into a RestConfig; a broken one names the problem', () => {
  const text = kubeconfigText({
    server: 'https://127.0.0.1:6443',
    caPem: Buffer.from('-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----\n'),
    user: 'admin',
    token: 'tok123',
  });
  const c = restConfigFromKubeconfig(text, 'admin.kubeconfig');
  assert.equal(c.server, 'https://127.0.0.1:6443');
  assert.equal(c.token, 'tok123');
  assert.match(String(c.ca), /BEGIN CERTIFICATE/);
  assert.throws(
    () => restConfigFromKubeconfig('current-context: nope\ncontexts: []\n', 'k'),
    /k: current-context: no context named "nope"/,
  );
});

test('cluster.get validates kind and names', () => {
  const v = clusterRequestValidators['cluster.get'];
  assert.deepEqual(v({ kind: 'pods', namespace: 'default', name: 'kubia-b' }, 'g'), {
    kind: 'pods',
    namespace: 'default',
    name: 'kubia-b',
  });
  assert.throws(() => v({ kind: 'secrets', name: 'x' }, 'g'), /g.kind/);
  assert.throws(() => v({ kind: 'pods', name: 'Bad_Name' }, 'g'), /g.name/);
});
