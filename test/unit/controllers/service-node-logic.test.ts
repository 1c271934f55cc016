// Pure logic of the Endpoints/EndpointSlice, PersistentVolume binder, node lifecycle and LB pool.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Lease, Node, PersistentVolume, PersistentVolumeClaim, Pod, Service } from '../../../common/api-types.js';
import { desiredEndpoints, desiredSlices, planSlices } from '../../../cluster/controllers/endpoints/endpoints-logic.js';
import { findMatchingVolume, planClaim, planVolume } from '../../../cluster/controllers/volume/pv-binder-logic.js';
import { planEvictions, planNodeHealth } from '../../../cluster/controllers/node/node-lifecycle-logic.js';
import { AddressPool } from '../../../cluster/controllers/service/address-pool.js';
import { ValidationError } from '../../../common/errors.js';
import { matchesSelector } from '../../../cluster/controllers/util/labels.js';
import { parseQuantity } from '../../../cluster/controllers/util/quantity.js';

const NOW = Date.UTC(2026, 0, 1, 12);
const svc: Service = {
  metadata: { name: 'kubia', namespace: 'default', uid: 's1', labels: { tier: 'web' } },
  spec: { selector: { app: 'kubia' }, ports: [{ name: 'http', port: 80, targetPort: 'web' }] },
};
const pod = (name: string, ip: string | undefined, readyStatus: 'True' | 'False', port = 8080): Pod => ({
  metadata: { name, namespace: 'default', uid: `u-${name}`, labels: { app: 'kubia' } },
  spec: { nodeName: 'node1', containers: [{ name: 'c', ports: [{ name: 'web', containerPort: port }] }] },
  status: { phase: 'Running', ...(ip ? { podIP: ip } : {}), conditions: [{ type: 'Ready', status: readyStatus }] },
});

test('Endpoints: ready pods are addresses, unready ones notReadyAddresses, pods without IP are left out, named ports resolved', () => {
  const ep = desiredEndpoints(svc, [
    pod('b', '192.168.128.12', 'True'),
    pod('a', '192.168.128.3', 'True'),
    pod('c', '192.168.129.2', 'False'),
    pod('d', undefined, 'True'),
  ]);
  assert.equal(ep.metadata.labels!['endpoints.kubernetes.io/managed-by'], 'endpoint-controller');
  assert.equal(ep.metadata.labels!.tier, 'web');
  assert.equal(ep.subsets!.length, 1);
  assert.deepEqual(
    ep.subsets![0]!.addresses!.map((a) => a.ip),
    ['192.168.128.3', '192.168.128.12'],
    'sorted numerically',
  );
  assert.deepEqual(
    ep.subsets![0]!.notReadyAddresses!.map((a) => a.targetRef!.name),
    ['c'],
  );
  assert.deepEqual(ep.subsets![0]!.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
});

test('EndpointSlices: one per port list, kube labels and owner; an unchanged slice is not rewritten', () => {
  const slices = desiredSlices(svc, [pod('a', '192.168.128.3', 'True'), pod('b', '192.168.128.4', 'False', 9090)]);
  assert.equal(slices.length, 2);
  assert.ok(
    slices.every(
      (s) =>
        s.metadata.labels!['kubernetes.io/service-name'] === 'kubia' &&
        s.metadata.labels!['endpointslice.kubernetes.io/managed-by'] === 'endpointslice-controller.k8s.io',
    ),
  );
  assert.equal(slices.find((s) => s.ports![0]!.port === 9090)!.endpoints[0]!.conditions!.ready, false);
  const existing = slices.map((s, i) => ({ ...s, metadata: { ...s.metadata, name: `kubia-${i}` } }));
  assert.deepEqual(planSlices(slices, existing), { create: [], update: [], delete: [] });
});

const claim = (
  size: string,
  modes: PersistentVolumeClaim['spec']['accessModes'] = ['ReadWriteOnce'],
  cls?: string,
): PersistentVolumeClaim => ({
  metadata: { name: 'data', namespace: 'default', uid: 'c1' },
  spec: { accessModes: modes, resources: { requests: { storage: size } }, ...(cls ? { storageClassName: cls } : {}) },
});
const pv = (
  name: string,
  size: string,
  modes: PersistentVolume['spec']['accessModes'] = ['ReadWriteOnce'],
  extra: Partial<PersistentVolume['spec']> = {},
): PersistentVolume => ({
  metadata: { name },
  spec: { capacity: { storage: size }, accessModes: modes, ...extra },
  status: { phase: 'Available' },
});

test('PV binder: the smallest volume whose modes and capacity satisfy the claim, with a matching class', () => {
  const vols = [
    pv('big', '10Gi'),
    pv('small', '1Gi'),
    pv('tiny', '500Mi'),
    pv('rox', '1Gi', ['ReadOnlyMany']),
    pv('fast', '1Gi', ['ReadWriteOnce'], { storageClassName: 'fast' }),
  ];
  assert.equal(findMatchingVolume(claim('1Gi'), vols)?.metadata.name, 'small');
  assert.equal(findMatchingVolume(claim('2Gi'), vols)?.metadata.name, 'big');
  assert.equal(findMatchingVolume(claim('1Gi', ['ReadWriteOnce'], 'fast'), vols)?.metadata.name, 'fast');
  assert.equal(findMatchingVolume(claim('20Gi'), vols), undefined);
  const actions = planClaim(claim('1Gi'), vols);
  assert.deepEqual(
    actions.map((a) => a.type),
    ['bindVolume', 'bindClaim'],
  );
  const none = planClaim(claim('20Gi'), vols);
  assert.ok(
    none.some(
      (a) =>
        a.type === 'event' &&
        a.reason === 'FailedBinding' &&
        a.message === 'no persistent volumes available for this claim and no storage class is set',
    ),
  );
});

test('PV binder: a volume whose claim is gone is Released, then Retain keeps it, Delete deletes it, Recycle frees it', () => {
  const bound = (policy: 'Retain' | 'Delete' | 'Recycle') =>
    pv('v', '1Gi', ['ReadWriteOnce'], {
      persistentVolumeReclaimPolicy: policy,
      claimRef: { kind: 'PersistentVolumeClaim', namespace: 'default', name: 'data', uid: 'c1' },
    });
  assert.deepEqual(
    planVolume(bound('Retain'), undefined).map((a) => a.type),
    ['setVolumePhase'],
  );
  assert.deepEqual(
    planVolume(bound('Delete'), undefined).map((a) => a.type),
    ['setVolumePhase', 'deleteVolume'],
  );
  assert.deepEqual(
    planVolume(bound('Recycle'), undefined).map((a) => a.type),
    ['setVolumePhase', 'recycleVolume'],
  );
  const c = { ...claim('1Gi'), spec: { ...claim('1Gi').spec, volumeName: 'v' } };
  assert.deepEqual(
    planVolume({ ...bound('Retain'), status: { phase: 'Bound' } }, c),
    [],
    'a live claim keeps its volume Bound',
  );
  // A claim recreated under the same name is a different claim (uid): the old volume is still released.
  assert.equal(
    planVolume(bound('Retain'), { ...c, metadata: { ...c.metadata, uid: 'c2' } })[0]?.type,
    'setVolumePhase',
  );
});

const node = (hb: number, extra: Partial<Node> = {}): Node => ({
  metadata: { name: 'node2', creationTimestamp: new Date(NOW - 3600_000).toISOString() },
  status: { conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: new Date(hb).toISOString() }] },
  ...extra,
});
const lease = (renew: number): Lease => ({
  metadata: { name: 'node2', namespace: 'kube-node-lease' },
  spec: { renewTime: new Date(renew).toISOString() },
});

test('node lifecycle: a renewed Lease keeps a node Ready; silence past the grace period makes it Unknown with unreachable taints', () => {
  const s = { gracePeriodMs: 40_000 };
  const fresh = planNodeHealth(node(NOW - 120_000), lease(NOW - 5_000), NOW, s);
  assert.equal(fresh.conditions, undefined);
  assert.equal(fresh.taints, undefined);
  const silent = planNodeHealth(node(NOW - 120_000), lease(NOW - 41_000), NOW, s);
  assert.equal(silent.conditions!.find((c) => c.type === 'Ready')!.status, 'Unknown');
  assert.equal(silent.conditions!.find((c) => c.type === 'Ready')!.reason, 'NodeStatusUnknown');
  assert.deepEqual(
    silent.taints!.map((t) => `${t.key}:${t.effect}`),
    ['node.kubernetes.io/unreachable:NoSchedule', 'node.kubernetes.io/unreachable:NoExecute'],
  );
  assert.equal(silent.event?.message, 'Node node2 status is now: NodeNotReady');
  const notReady = node(NOW);
  notReady.status!.conditions![0]!.status = 'False';
  assert.deepEqual(
    planNodeHealth(notReady, undefined, NOW, s).taints!.map((t) => t.key),
    ['node.kubernetes.io/not-ready', 'node.kubernetes.io/not-ready'],
  );
  const recovered = planNodeHealth(
    {
      ...node(NOW),
      spec: {
        taints: [
          { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' },
          { key: 'mine', effect: 'NoSchedule' },
        ],
      },
    },
    undefined,
    NOW,
    s,
  );
  assert.deepEqual(recovered.taints, [{ key: 'mine', effect: 'NoSchedule' }], 'only its own taints are removed');
});

test('taint eviction: untolerating pods at once, tolerating ones after tolerationSeconds from the taint', () => {
  const taints = [
    {
      key: 'node.kubernetes.io/unreachable',
      effect: 'NoExecute' as const,
      timeAdded: new Date(NOW - 10_000).toISOString(),
    },
  ];
  const p = (name: string, secs?: number): Pod => ({
    metadata: { name },
    spec: {
      containers: [],
      tolerations:
        secs === undefined
          ? []
          : [
              {
                key: 'node.kubernetes.io/unreachable',
                operator: 'Exists',
                effect: 'NoExecute',
                tolerationSeconds: secs,
              },
            ],
    },
  });
  const forever: Pod = {
    metadata: { name: 'forever' },
    spec: { containers: [], tolerations: [{ operator: 'Exists' }] },
  };
  const d = planEvictions(taints, [p('none'), p('s5', 5), p('s300', 300), forever], NOW);
  assert.deepEqual(
    d.evict.map((x) => x.metadata.name),
    ['none', 's5'],
  );
  assert.equal(d.recheckAfterMs, 290_000);
});

test('LB address pool: ranges and CIDRs, lowest free first, bad entries refused with where and what', () => {
  const pool = new AddressPool(['203.0.113.10-203.0.113.11', '198.51.100.0/30']);
  assert.equal(pool.allocate(new Set()), '203.0.113.10');
  assert.equal(pool.allocate(new Set(['203.0.113.10', '203.0.113.11'])), '198.51.100.1');
  assert.equal(pool.allocate(new Set(['203.0.113.10', '203.0.113.11', '198.51.100.1', '198.51.100.2'])), undefined);
  assert.ok(pool.contains('198.51.100.2') && !pool.contains('198.51.100.3'));
  assert.throws(
    () => new AddressPool(['10.0.0.9-10.0.0.1']),
    (e: unknown) => e instanceof ValidationError && /ends before it starts/.test(e.message),
  );
  assert.throws(
    () => new AddressPool(['example.com']),
    (e: unknown) => e instanceof ValidationError && e.where === 'loadBalancerPool[0]',
  );
  assert.throws(
    () => new AddressPool(['203.0.113.1-203.0.113.2', '203.0.113.010-203.0.113.20']),
    (e: unknown) => e instanceof ValidationError && e.where === 'loadBalancerPool[1]' && /not an IPv4/.test(e.message),
  );
  assert.deepEqual(new AddressPool(['203.0.113.7/31']).allocate(new Set(['203.0.113.6'])), '203.0.113.7');
  assert.ok(!pool.contains('198.51.100.01') && !pool.contains('not an ip'));
});

test('selectors and quantities as the API means them', () => {
  assert.ok(
    matchesSelector(
      {
        matchLabels: { app: 'a' },
        matchExpressions: [
          { key: 'env', operator: 'In', values: ['prod', 'qa'] },
          { key: 'legacy', operator: 'DoesNotExist' },
        ],
      },
      { app: 'a', env: 'qa' },
    ),
  );
  assert.ok(
    !matchesSelector({ matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod'] }] }, { env: 'prod' }),
  );
  assert.ok(matchesSelector({}, { any: 'x' }), 'an empty selector matches everything');
  assert.equal(parseQuantity('1Gi'), 1024 ** 3);
  assert.equal(parseQuantity('500M'), 5e8);
  assert.equal(parseQuantity('1.5Ki'), 1536);
  assert.throws(() => parseQuantity('1Gb'), ValidationError);
});
