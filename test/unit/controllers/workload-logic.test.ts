// Pure reconcile logic of ReplicaSet, DaemonSet, Job and StatefulSet: plain objects in, plans out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DaemonSet, Job, Node, Pod, ReplicaSet, StatefulSet } from '../../../common/api-types.js';
import {
  fromReplicaSet,
  fromReplicationController,
  planReplicas,
  slowStartBatches,
} from '../../../cluster/controllers/replicaset/replica-set-logic.js';
import {
  planDaemonSet,
  RevisionHashLabel,
  targetNode,
} from '../../../cluster/controllers/daemonset/daemon-set-logic.js';
import { planJob } from '../../../cluster/controllers/job/job-logic.js';
import { planStatefulSet } from '../../../cluster/controllers/statefulset/stateful-set-logic.js';

const NOW = Date.UTC(2026, 0, 1, 12);
const ready = {
  phase: 'Running' as const,
  conditions: [{ type: 'Ready', status: 'True' as const, lastTransitionTime: new Date(NOW - 60_000).toISOString() }],
};

function ownedPod(
  name: string,
  owner: { uid: string; kind: string; name: string },
  extra: Partial<Pod> = {},
  labels: Record<string, string> = { app: 'kubia' },
): Pod {
  return {
    metadata: {
      name,
      namespace: 'default',
      labels,
      creationTimestamp: new Date(NOW - 1000).toISOString(),
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: owner.kind, name: owner.name, uid: owner.uid, controller: true },
      ],
    },
    spec: { containers: [{ name: 'c' }] },
    ...extra,
  };
}

const rs: ReplicaSet = {
  metadata: { name: 'kubia', namespace: 'default', uid: 'rs1', generation: 2 },
  spec: {
    replicas: 3,
    selector: { matchLabels: { app: 'kubia' } },
    template: { metadata: { labels: { app: 'kubia' } }, spec: { containers: [{ name: 'c' }] } },
  },
};
const own = { uid: 'rs1', kind: 'ReplicaSet', name: 'kubia' };

test('ReplicaSet: creates the missing pods, adopts a matching orphan, ignores pods of other owners', () => {
  const orphan: Pod = {
    metadata: { name: 'stray', namespace: 'default', labels: { app: 'kubia' } },
    spec: { containers: [] },
  };
  const foreign = ownedPod('other', { uid: 'x', kind: 'ReplicaSet', name: 'other' });
  const plan = planReplicas(fromReplicaSet(rs), [ownedPod('a', own), orphan, foreign], NOW);
  assert.deepEqual(
    plan.adopt.map((p) => p.metadata.name),
    ['stray'],
  );
  assert.equal(plan.create, 1);
  assert.equal(plan.status.replicas, 2);
  assert.equal(plan.status.observedGeneration, 2);
});

test('ReplicaSet: scale-down deletes unscheduled, then pending, then not-ready pods before ready ones', () => {
  const pods = [
    ownedPod('ready-old', own, { spec: { nodeName: 'n1', containers: [] }, status: ready }),
    ownedPod('unassigned', own, { status: { phase: 'Pending' } }),
    ownedPod('notready', own, { spec: { nodeName: 'n1', containers: [] }, status: { phase: 'Running' } }),
    ownedPod('pending', own, { spec: { nodeName: 'n1', containers: [] }, status: { phase: 'Pending' } }),
    ownedPod('ready-2', own, { spec: { nodeName: 'n2', containers: [] }, status: ready }),
  ];
  const plan = planReplicas(fromReplicaSet({ ...rs, spec: { ...rs.spec, replicas: 2 } }), pods, NOW);
  assert.deepEqual(
    plan.delete.map((p) => p.metadata.name),
    ['unassigned', 'pending', 'notready'],
  );
  assert.equal(plan.status.readyReplicas, 2);
});

test('ReplicaSet: a pod no longer matching the selector is released; terminating and finished pods do not count', () => {
  const relabelled = ownedPod('relabelled', own, {}, { app: 'debug' });
  const done = ownedPod('done', own, { status: { phase: 'Succeeded' } });
  const going = ownedPod('going', own, {
    metadata: { ...ownedPod('going', own).metadata, deletionTimestamp: new Date(NOW).toISOString() },
  });
  const plan = planReplicas(fromReplicaSet(rs), [relabelled, done, going, ownedPod('a', own)], NOW);
  assert.deepEqual(
    plan.release.map((p) => p.metadata.name),
    ['relabelled'],
  );
  assert.equal(plan.create, 2);
});

test('ReplicationController shares the logic with its map selector; slow start batches double', () => {
  const plan = planReplicas(
    fromReplicationController({
      metadata: { name: 'kubia', namespace: 'default', uid: 'rc1' },
      spec: {
        replicas: 3,
        selector: { app: 'kubia' },
        template: { metadata: { labels: { app: 'kubia' } }, spec: { containers: [] } },
      },
    }),
    [],
    NOW,
  );
  assert.equal(plan.create, 3);
  assert.equal(plan.ref.kind, 'ReplicationController');
  assert.deepEqual(slowStartBatches(100), [1, 2, 4, 8, 16, 32, 37]);
});

const node = (name: string, extra: Partial<Node> = {}): Node => ({
  metadata: { name, labels: { disk: name === 'n3' ? 'hdd' : 'ssd' } },
  ...extra,
});
const ds: DaemonSet = {
  metadata: { name: 'mon', namespace: 'default', uid: 'ds1', generation: 1 },
  spec: {
    selector: { matchLabels: { app: 'mon' } },
    template: {
      metadata: { labels: { app: 'mon' } },
      spec: { nodeSelector: { disk: 'ssd' }, containers: [{ name: 'c' }] },
    },
  },
};

test('DaemonSet: a pod for each node matching nodeSelector and tolerated taints; a pod on a node that no longer fits goes', () => {
  const nodes = [
    node('n1'),
    node('n2'),
    node('n3'),
    node('n4', { spec: { taints: [{ key: 'gpu', effect: 'NoSchedule' }] } }),
  ];
  const onN3 = ownedPod(
    'mon-x',
    { uid: 'ds1', kind: 'DaemonSet', name: 'mon' },
    { spec: { nodeName: 'n3', containers: [] } },
    { app: 'mon' },
  );
  const plan = planDaemonSet(ds, nodes, [onN3], NOW);
  assert.deepEqual(plan.create, ['n1', 'n2']);
  assert.deepEqual(
    plan.delete.map((p) => p.metadata.name),
    ['mon-x'],
  );
  assert.equal(plan.status.desiredNumberScheduled, 2);
  assert.equal(plan.status.numberMisscheduled, 1);
  const withAffinity: Pod = {
    metadata: { name: 'y', labels: {} },
    spec: {
      containers: [],
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n7'] }] }],
          },
        },
      },
    },
  };
  assert.equal(targetNode(withAffinity), 'n7');
});

test('DaemonSet: an update replaces old-revision pods at most maxUnavailable at a time', () => {
  const nodes = [node('n1'), node('n2'), node('n4')];
  const owner = { uid: 'ds1', kind: 'DaemonSet', name: 'mon' };
  const pods = ['n1', 'n2', 'n4'].map((n) =>
    ownedPod(
      `mon-${n}`,
      owner,
      { spec: { nodeName: n, containers: [] }, status: ready },
      { app: 'mon', [RevisionHashLabel]: 'old' },
    ),
  );
  const plan = planDaemonSet(ds, nodes, pods, NOW);
  assert.equal(plan.delete.length, 1);
  assert.equal(plan.create.length, 0);
  assert.equal(plan.status.updatedNumberScheduled, 0);
});

const job: Job = {
  metadata: { name: 'batch', namespace: 'default', uid: 'j1' },
  spec: { completions: 5, parallelism: 2, backoffLimit: 1, template: { spec: { containers: [] } } },
};
const jobOwner = { uid: 'j1', kind: 'Job', name: 'batch' };

test('Job: runs parallelism pods but never more than the completions still missing', () => {
  assert.equal(planJob(job, [], NOW).create, 2);
  const four = ['a', 'b', 'c', 'd'].map((n) => ownedPod(n, jobOwner, { status: { phase: 'Succeeded' } }));
  const plan = planJob(job, four, NOW);
  assert.equal(plan.create, 1);
  assert.equal(plan.status.succeeded, 4);
});

test('Job: Complete when completions succeeded; Failed with BackoffLimitExceeded past backoffLimit', () => {
  const five = ['a', 'b', 'c', 'd', 'e'].map((n) => ownedPod(n, jobOwner, { status: { phase: 'Succeeded' } }));
  const done = planJob(job, five, NOW);
  assert.equal(done.status.conditions?.[0]?.type, 'Complete');
  assert.ok(done.status.completionTime);
  assert.equal(done.events[0]?.reason, 'Completed');
  const failed = ['a', 'b'].map((n) => ownedPod(n, jobOwner, { status: { phase: 'Failed' } }));
  const plan = planJob(job, [...failed, ownedPod('r', jobOwner, { status: ready })], NOW);
  assert.equal(plan.status.conditions?.[0]?.reason, 'BackoffLimitExceeded');
  assert.deepEqual(
    plan.delete.map((p) => p.metadata.name),
    ['r'],
  );
});

test('Job: after a failure the next pod waits the backoff (10 s) instead of being created at once', () => {
  const f = ownedPod('f', jobOwner, {
    status: {
      phase: 'Failed',
      conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: new Date(NOW - 3000).toISOString() }],
    },
  });
  const plan = planJob({ ...job, spec: { ...job.spec, parallelism: 1, backoffLimit: 6 } }, [f], NOW);
  assert.equal(plan.create, 0);
  assert.equal(plan.requeueAfterMs, 7000);
});

const set: StatefulSet = {
  metadata: { name: 'web', namespace: 'default', uid: 's1' },
  spec: {
    replicas: 3,
    serviceName: 'nginx',
    selector: { matchLabels: { app: 'nginx' } },
    template: { metadata: { labels: { app: 'nginx' } }, spec: { containers: [{ name: 'c' }] } },
    volumeClaimTemplates: [
      {
        metadata: { name: 'www' },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
      },
    ],
  },
};
const setOwner = { uid: 's1', kind: 'StatefulSet', name: 'web' };

test('StatefulSet: web-0 first with its claim www-web-0; web-1 waits until web-0 is Running and Ready', () => {
  const first = planStatefulSet(set, [], []);
  assert.deepEqual(
    first.actions.map((a) =>
      a.type === 'createClaim'
        ? `claim ${a.claim.metadata.name}`
        : a.type === 'createPod'
          ? `pod ${a.pod.metadata.name}`
          : 'delete',
    ),
    ['claim www-web-0', 'pod web-0'],
  );
  const web0 = ownedPod('web-0', setOwner, { status: { phase: 'Pending' } });
  assert.deepEqual(planStatefulSet(set, [web0], []).actions, []);
  const web0ready = ownedPod('web-0', setOwner, { status: ready });
  const next = planStatefulSet(set, [web0ready], []);
  assert.deepEqual(
    next.actions.map((a) => a.type),
    ['createClaim', 'createPod'],
  );
  const pod = next.actions.find((a) => a.type === 'createPod')!;
  assert.equal(pod.type === 'createPod' && pod.pod.spec.hostname, 'web-1');
});

test('StatefulSet: scale-down removes the highest ordinal first, one at a time; Parallel creates all at once', () => {
  const pods = [0, 1, 2].map((i) => ownedPod(`web-${i}`, setOwner, { status: ready }));
  const plan = planStatefulSet({ ...set, spec: { ...set.spec, replicas: 1 } }, pods, []);
  assert.deepEqual(
    plan.actions.map((a) => a.type === 'deletePod' && a.pod.metadata.name),
    ['web-2'],
  );
  const parallel = planStatefulSet({ ...set, spec: { ...set.spec, podManagementPolicy: 'Parallel' } }, [], []);
  assert.equal(parallel.actions.filter((a) => a.type === 'createPod').length, 3);
});
