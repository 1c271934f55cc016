import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PersistentVolume, PersistentVolumeClaim, Pod } from '../../../common/api-types.js';
import { ScheduleAlgorithm, numFeasibleNodesToFind } from '../../../cluster/scheduler/algorithm.js';
import { fitErrorMessage, type SchedulingDecision } from '../../../cluster/scheduler/decision.js';
import { newPodInfo } from '../../../cluster/scheduler/node-info.js';
import { defaultProfile } from '../../../cluster/scheduler/profile.js';
import { SchedulerCache } from '../../../cluster/scheduler/scheduler-cache.js';
import { makeNode, makePod, seededRandom } from './fixtures.js';

const noVictims = () => 'No preemption victims found for incoming pod';

function setup(
  nodes = [makeNode('node1'), makeNode('node2'), makeNode('node3')],
  lookups?: ConstructorParameters<typeof SchedulerCache>[0],
) {
  const cache = new SchedulerCache(lookups);
  for (const n of nodes) cache.upsertNode(n);
  const algo = new ScheduleAlgorithm(defaultProfile(), seededRandom(1));
  /** Schedules and, when placed, assumes the pod as the real scheduler does. */
  const place = (pod: Pod): SchedulingDecision => {
    const d = algo.schedule(newPodInfo(pod), cache, 0);
    if (d.selected) cache.assumePod(pod, d.selected);
    return d;
  };
  return { cache, algo, place };
}

test('requests that fit nowhere give the FailedScheduling message kube-scheduler writes', () => {
  const nodes = [
    ...['node1', 'node2', 'node3'].map((n) => makeNode(n, { cpu: '1' })),
    ...['node4', 'node5', 'node6'].map((n) =>
      makeNode(n, { cpu: '8', taints: [{ key: 'dedicated', value: 'infra', effect: 'NoSchedule' }] }),
    ),
  ];
  const { place } = setup(nodes);
  const d = place(makePod('big', { cpu: '2' }));
  assert.equal(d.selected, undefined);
  assert.equal(
    fitErrorMessage(d, noVictims),
    '0/6 nodes are available: 3 Insufficient cpu, 3 node(s) had untolerated taint {dedicated: infra}. preemption: 0/6 nodes are available: 3 No preemption victims found for incoming pod, 3 Preemption is not helpful for scheduling.',
  );
  const v4 = d.nodes.find((v) => v.node === 'node4')!;
  assert.equal(v4.rejectedBy, 'TaintToleration');
  assert.equal(d.nodes.find((v) => v.node === 'node1')!.rejectedBy, 'NodeResourcesFit');
});

test('a toleration lets the pod onto tainted nodes', () => {
  const nodes = [
    makeNode('node1', { taints: [{ key: 'dedicated', value: 'infra', effect: 'NoSchedule' }] }),
    makeNode('node2', { cpu: '1' }),
  ];
  const { place } = setup(nodes);
  const d = place(
    makePod('p', {
      cpu: '2',
      spec: { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'infra', effect: 'NoSchedule' }] },
    }),
  );
  assert.equal(d.selected, 'node1');
  const any = place(makePod('q', { spec: { tolerations: [{ operator: 'Exists' }] } }));
  assert.ok(any.selected);
});

test('pods already bound and pods just assumed both count against allocatable', () => {
  const { cache, place } = setup([makeNode('node1', { cpu: '2' }), makeNode('node2', { cpu: '2' })]);
  cache.addPod(makePod('old', { cpu: '1500m', nodeName: 'node1' }));
  const a = place(makePod('a', { cpu: '1' }));
  assert.equal(a.selected, 'node2', 'node1 has only 500m left');
  const b = place(makePod('b', { cpu: '1' }));
  assert.equal(b.selected, 'node2', 'the assumed pod a left node2 exactly 1 cpu');
  const c = place(makePod('c', { cpu: '1' }));
  assert.equal(c.selected, undefined, 'a burst must not overpack: a and b are assumed on node2');
  assert.match(fitErrorMessage(c, noVictims), /^0\/2 nodes are available: 2 Insufficient cpu\./);
  cache.forgetPod('default/b');
  assert.equal(place(makePod('d', { cpu: '1' })).selected, 'node2', 'a forgotten (failed) binding frees its room');
});

test('Too many pods when the node is at its pod capacity', () => {
  const { place } = setup([makeNode('node1', { pods: '2' })]);
  assert.ok(place(makePod('a')).selected);
  assert.ok(place(makePod('b')).selected);
  const d = place(makePod('c'));
  assert.equal(
    fitErrorMessage(d, noVictims),
    '0/1 nodes are available: 1 Too many pods. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.',
  );
});

test('pods without requests spread one per node over identical nodes (ties broken at random)', () => {
  const names = ['node1', 'node2', 'node3', 'node4', 'node5', 'node6'];
  const { cache, place } = setup(names.map((n) => makeNode(n)));
  for (let i = 0; i < 6; i++) place(makePod(`kubia-${i}`, { labels: { app: 'kubia' } }));
  assert.deepEqual(
    names.map((n) => cache.nodeInfo(n)!.pods.size),
    [1, 1, 1, 1, 1, 1],
  );
});

test('reservoir sampling picks each of k tied nodes about 1/k of the time', () => {
  const cache = new SchedulerCache();
  for (const n of ['a', 'b', 'c']) cache.upsertNode(makeNode(n));
  const algo = new ScheduleAlgorithm(defaultProfile(), seededRandom(42));
  const counts: Record<string, number> = { a: 0, b: 0, c: 0 };
  const pi = newPodInfo(makePod('p'));
  for (let i = 0; i < 3000; i++) {
    const d = algo.schedule(pi, cache, 0);
    assert.equal(d.tiedBest, 3);
    counts[d.selected!]!++;
  }
  for (const n of ['a', 'b', 'c']) assert.ok(counts[n]! > 900 && counts[n]! < 1100, JSON.stringify(counts));
});

test('nodeSelector and required node affinity restrict, preferred affinity scores', () => {
  const nodes = [
    makeNode('node1', { labels: { disktype: 'ssd', zone: 'a' } }),
    makeNode('node2', { labels: { zone: 'b' } }),
    makeNode('node3', { labels: { zone: 'c' } }),
  ];
  const { place } = setup(nodes);
  assert.equal(place(makePod('ssd', { spec: { nodeSelector: { disktype: 'ssd' } } })).selected, 'node1');
  const none = place(makePod('gpu', { spec: { nodeSelector: { gpu: 'true' } } }));
  assert.equal(
    fitErrorMessage(none, noVictims),
    "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
  );
  const req = place(
    makePod('notA', {
      spec: {
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a', 'b'] }] }],
            },
          },
        },
      },
    }),
  );
  assert.equal(req.selected, 'node3');
  const pref = place(
    makePod('preferB', {
      spec: {
        affinity: {
          nodeAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [
              { weight: 50, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['b'] }] } },
            ],
          },
        },
      },
    }),
  );
  assert.equal(pref.selected, 'node2');
  const v2 = pref.nodes.find((v) => v.node === 'node2')!;
  assert.equal(v2.scores!.NodeAffinity, 100);
  assert.equal(pref.nodes.find((v) => v.node === 'node1')!.scores!.NodeAffinity, 0);
});

test('a cordoned node is skipped; PreferNoSchedule lowers the score', () => {
  const nodes = [
    makeNode('node1', { unschedulable: true }),
    makeNode('node2', { taints: [{ key: 'k', value: 'v', effect: 'PreferNoSchedule' }] }),
    makeNode('node3'),
  ];
  const { place } = setup(nodes);
  const d = place(makePod('p'));
  assert.equal(d.selected, 'node3');
  assert.equal(d.nodes.find((v) => v.node === 'node1')!.reasons![0], 'node(s) were unschedulable');
  assert.equal(d.nodes.find((v) => v.node === 'node2')!.scores!.TaintToleration, 0);
  assert.equal(d.nodes.find((v) => v.node === 'node3')!.scores!.TaintToleration, 100);
});

test('host ports conflict', () => {
  const { place } = setup([makeNode('node1'), makeNode('node2')]);
  const withPort = (name: string) =>
    makePod(name, { spec: { containers: [{ name: 'c', ports: [{ containerPort: 80, hostPort: 8080 }] }] } });
  assert.ok(place(withPort('a')).selected);
  assert.ok(place(withPort('b')).selected);
  const d = place(withPort('c'));
  assert.match(
    fitErrorMessage(d, noVictims),
    /^0\/2 nodes are available: 2 node\(s\) didn't have free ports for the requested pod ports\./,
  );
});

test('required anti-affinity on hostname: one per node, then none fits', () => {
  const { place } = setup();
  const web = (n: string) =>
    makePod(n, {
      labels: { app: 'web' },
      spec: {
        affinity: {
          podAntiAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [
              { labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'kubernetes.io/hostname' },
            ],
          },
        },
      },
    });
  const placed = ['w1', 'w2', 'w3'].map((n) => place(web(n)).selected);
  assert.deepEqual([...placed].sort(), ['node1', 'node2', 'node3']);
  const d = place(web('w4'));
  // The newcomer's own anti-affinity and the existing pods' anti-affinity both rule each node out;
  // the existing pods' rule is checked first, as in kube-scheduler.
  assert.match(
    fitErrorMessage(d, noVictims),
    /^0\/3 nodes are available: 3 node\(s\) didn't satisfy existing pods anti-affinity rules\./,
  );
  // A pod without anti-affinity but matching the label is kept out by the existing pods' rule too.
  const plain = place(makePod('plain', { labels: { app: 'web' } }));
  assert.equal(plain.selected, undefined);
});

test('required pod affinity follows a matching pod to its zone; the first of a group may go anywhere', () => {
  const nodes = [
    makeNode('node1', { labels: { zone: 'a' } }),
    makeNode('node2', { labels: { zone: 'b' } }),
    makeNode('node3', { labels: { zone: 'b' } }),
  ];
  const { cache, place } = setup(nodes);
  cache.addPod(makePod('db', { labels: { app: 'db' }, nodeName: 'node2' }));
  const withDb = makePod('api', {
    spec: {
      affinity: {
        podAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [
            { labelSelector: { matchLabels: { app: 'db' } }, topologyKey: 'zone' },
          ],
        },
      },
    },
  });
  const d = place(withDb);
  assert.ok(d.selected === 'node2' || d.selected === 'node3', String(d.selected));
  assert.equal(d.nodes.find((v) => v.node === 'node1')!.reasons![0], "node(s) didn't match pod affinity rules");
  const self = makePod('cache-0', {
    labels: { app: 'cache' },
    spec: {
      affinity: {
        podAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [
            { labelSelector: { matchLabels: { app: 'cache' } }, topologyKey: 'zone' },
          ],
        },
      },
    },
  });
  assert.ok(place(self).selected, 'no cache pod exists yet and it matches its own term');
});

test('preferred anti-affinity spreads, preferred affinity attracts', () => {
  const { cache, place } = setup();
  cache.addPod(makePod('front', { labels: { app: 'front' }, nodeName: 'node1' }));
  const attract = place(
    makePod('side', {
      spec: {
        affinity: {
          podAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [
              {
                weight: 100,
                podAffinityTerm: {
                  labelSelector: { matchLabels: { app: 'front' } },
                  topologyKey: 'kubernetes.io/hostname',
                },
              },
            ],
          },
        },
      },
    }),
  );
  assert.equal(attract.selected, 'node1');
  assert.equal(attract.nodes.find((v) => v.node === 'node1')!.scores!.InterPodAffinity, 100);
  const repel = place(
    makePod('away', {
      spec: {
        affinity: {
          podAntiAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [
              {
                weight: 100,
                podAffinityTerm: {
                  labelSelector: { matchLabels: { app: 'front' } },
                  topologyKey: 'kubernetes.io/hostname',
                },
              },
            ],
          },
        },
      },
    }),
  );
  assert.notEqual(repel.selected, 'node1');
});

test('topology spread with maxSkew 1 across zones', () => {
  const nodes = [
    makeNode('node1', { labels: { zone: 'a' } }),
    makeNode('node2', { labels: { zone: 'a' } }),
    makeNode('node3', { labels: { zone: 'b' } }),
    makeNode('node4'),
  ];
  const { cache, place } = setup(nodes);
  const spread = (n: string) =>
    makePod(n, {
      labels: { app: 's' },
      spec: {
        topologySpreadConstraints: [
          {
            maxSkew: 1,
            topologyKey: 'zone',
            whenUnsatisfiable: 'DoNotSchedule',
            labelSelector: { matchLabels: { app: 's' } },
          },
        ],
      },
    });
  const zones: string[] = [];
  for (let i = 0; i < 4; i++) {
    const d = place(spread(`s${i}`));
    zones.push(cache.nodeInfo(d.selected!)!.labels().zone!);
    assert.equal(
      d.nodes.find((v) => v.node === 'node4')!.reasons![0],
      "node(s) didn't match pod topology spread constraints (missing required label)",
    );
  }
  assert.equal(zones.filter((z) => z === 'a').length, 2);
  assert.equal(zones.filter((z) => z === 'b').length, 2);
});

test('volume binding: unbound claims wait; a bound volume with node affinity pins the node', () => {
  const pvcs: Record<string, PersistentVolumeClaim> = {
    'default/unbound': { metadata: { name: 'unbound', namespace: 'default' }, spec: {}, status: { phase: 'Pending' } },
    'default/data': {
      metadata: { name: 'data', namespace: 'default' },
      spec: { volumeName: 'pv-1' },
      status: { phase: 'Bound' },
    },
  };
  const pvs: Record<string, PersistentVolume> = {
    'pv-1': {
      metadata: { name: 'pv-1' },
      spec: {
        nodeAffinity: {
          required: {
            nodeSelectorTerms: [
              { matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['node3'] }] },
            ],
          },
        },
      },
    },
  };
  const { place } = setup(undefined, {
    pvc: (ns, n) => pvcs[`${ns}/${n}`],
    pv: (n) => pvs[n],
    namespace: () => undefined,
  });
  const claim = (n: string, c: string) =>
    makePod(n, { spec: { volumes: [{ name: 'v', persistentVolumeClaim: { claimName: c } }] } });
  const waiting = place(claim('a', 'unbound'));
  assert.equal(
    fitErrorMessage(waiting, noVictims),
    '0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.',
  );
  assert.equal(place(claim('b', 'data')).selected, 'node3');
  assert.match(fitErrorMessage(place(claim('c', 'missing')), noVictims), /persistentvolumeclaim "missing" not found/);
});

test('with many nodes only enough feasible nodes are scored, starting where the last cycle stopped', () => {
  assert.equal(numFeasibleNodesToFind(50, 0), 50);
  assert.equal(numFeasibleNodesToFind(1000, 0), 420);
  assert.equal(numFeasibleNodesToFind(5000, 0), 500);
  assert.equal(numFeasibleNodesToFind(200, 10), 100);
  const cache = new SchedulerCache();
  for (let i = 0; i < 1000; i++) cache.upsertNode(makeNode(`n${i}`));
  const algo = new ScheduleAlgorithm(defaultProfile(), seededRandom(3));
  const d1 = algo.schedule(newPodInfo(makePod('a')), cache, 0);
  assert.equal(d1.evaluated, 420);
  assert.equal(d1.nodes[0]!.node, 'n0');
  const d2 = algo.schedule(newPodInfo(makePod('b')), cache, 0);
  assert.equal(d2.nodes[0]!.node, 'n420');
});
