import { test } from 'node:test';
import assert from 'node:assert/strict';
import { humanDuration } from '../../../cluster/apiserver/table/human.js';
import { printerFor } from '../../../cluster/apiserver/table/printers.js';
import { toTable } from '../../../cluster/apiserver/table/table.js';

const NOW = Date.parse('2026-01-01T01:00:00Z');

test('human durations as kubectl prints them', () => {
  const s = 1000;
  assert.deepEqual(
    [
      45 * s,
      150 * s,
      600 * s,
      3 * 3600 * s + 5 * 60 * s,
      30 * 3600 * s,
      3 * 86400 * s + 4 * 3600 * s,
      400 * 86400 * s,
    ].map(humanDuration),
    ['45s', '2m30s', '10m', '3h5m', '30h', '3d4h', '400d'],
  );
});

test('pod rows: READY, STATUS from container states, RESTARTS with the last restart, wide columns', () => {
  const pod = {
    metadata: { name: 'kubia-24hmb', creationTimestamp: '2026-01-01T00:55:00Z' },
    spec: { nodeName: 'node5', containers: [{ name: 'a' }, { name: 'b' }] },
    status: {
      phase: 'Running',
      podIP: '192.168.132.4',
      containerStatuses: [
        {
          name: 'a',
          ready: true,
          restartCount: 2,
          state: { running: {} },
          lastState: { terminated: { finishedAt: '2026-01-01T00:59:00Z' } },
        },
        { name: 'b', ready: false, restartCount: 0, state: { waiting: { reason: 'CrashLoopBackOff' } } },
      ],
    },
  };
  const cells = printerFor('pods').cells(pod, NOW);
  assert.deepEqual(cells, [
    'kubia-24hmb',
    '1/2',
    'CrashLoopBackOff',
    '2 (60s ago)',
    '5m',
    '192.168.132.4',
    'node5',
    '<none>',
    '<none>',
  ]);
  const terminating = printerFor('pods').cells(
    { ...pod, metadata: { ...pod.metadata, deletionTimestamp: '2026-01-01T01:00:30Z' } },
    NOW,
  );
  assert.equal(terminating[2], 'Terminating');
  const init = printerFor('pods').cells(
    {
      metadata: { name: 'i' },
      spec: { containers: [{}], initContainers: [{}, {}] },
      status: {
        phase: 'Pending',
        initContainerStatuses: [{ state: { terminated: { exitCode: 0 } } }, { state: { running: {} } }],
      },
    },
    NOW,
  );
  assert.equal(init[2], 'Init:1/2');
});

test('services, deployments, nodes, events', () => {
  assert.deepEqual(
    printerFor('services')
      .cells(
        {
          metadata: { name: 'kubia' },
          spec: {
            type: 'NodePort',
            clusterIP: '192.168.192.20',
            ports: [{ port: 80, nodePort: 32681, protocol: 'TCP' }],
            selector: { app: 'kubia' },
          },
        },
        NOW,
      )
      .slice(0, 5),
    ['kubia', 'NodePort', '192.168.192.20', '<none>', '80:32681/TCP'],
  );
  assert.deepEqual(
    printerFor('deployments')
      .cells(
        {
          metadata: { name: 'd' },
          spec: {
            replicas: 3,
            selector: { matchLabels: { app: 'd' } },
            template: { spec: { containers: [{ name: 'c', image: 'i' }] } },
          },
          status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 },
        },
        NOW,
      )
      .slice(0, 4),
    ['d', '2/3', 3, 2],
  );
  assert.deepEqual(
    printerFor('nodes')
      .cells(
        {
          metadata: { name: 'node5', labels: { 'node-role.kubernetes.io/control-plane': '' } },
          spec: { unschedulable: true },
          status: { conditions: [{ type: 'Ready', status: 'True' }] },
        },
        NOW,
      )
      .slice(0, 3),
    ['node5', 'Ready,SchedulingDisabled', 'control-plane'],
  );
  const t = toTable(
    'events',
    [
      {
        metadata: { name: 'e' },
        involvedObject: { kind: 'Pod', name: 'p' },
        reason: 'Scheduled',
        type: 'Normal',
        message: 'm',
        lastTimestamp: '2026-01-01T00:59:30Z',
      },
    ],
    {},
    'None',
    NOW,
  );
  assert.deepEqual(t.rows[0].cells.slice(0, 4), ['30s', 'Normal', 'Scheduled', 'pod/p']);
  assert.equal(
    t.columnDefinitions
      .filter((c: any) => c.priority === 0)
      .map((c: any) => c.name)
      .join(' '),
    'Last Seen Type Reason Object Message',
  );
});
