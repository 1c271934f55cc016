// The kubelet's pod status from what it knows of the sandbox and containers: phase by restart
// policy, Ready/ContainersReady with kubelet's message, IPs, restart counts and states.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../../../common/api-types.js';
import { podPhase, podStatus, statusChanged, type PodRuntimeView } from '../../../cluster/agents/kubelet/pod-status.js';

const T = Date.UTC(2026, 10, 26, 20, 0, 0);
const view = (over: Partial<PodRuntimeView> = {}): PodRuntimeView => ({
  podIP: '192.168.132.73',
  hostIP: '10.231.209.117',
  startTime: T,
  restartPolicy: 'Always',
  containers: [{ name: 'kubia', image: 'kubia', restartCount: 0, runningSince: T + 1000, ready: true }],
  ...over,
});

test('a running, ready container: Running, Ready, IPs and a running state', () => {
  const s = podStatus(view(), undefined, T + 2000);
  assert.equal(s.phase, 'Running');
  assert.equal(s.podIP, '192.168.132.73');
  assert.deepEqual(s.podIPs, [{ ip: '192.168.132.73' }]);
  assert.equal(s.hostIP, '10.231.209.117');
  assert.equal(s.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
  assert.deepEqual(s.containerStatuses?.[0]?.state, { running: { startedAt: '2026-11-26T20:00:01Z' } });
});

test("not ready yet: Ready False with kubelet's ContainersNotReady message", () => {
  const s = podStatus(
    view({ containers: [{ name: 'kubia', image: 'kubia', restartCount: 2, runningSince: T, ready: false }] }),
    undefined,
    T,
  );
  const ready = s.conditions?.find((c) => c.type === 'Ready');
  assert.equal(ready?.status, 'False');
  assert.equal(ready?.reason, 'ContainersNotReady');
  assert.equal(ready?.message, 'containers with unready status: [kubia]');
  assert.equal(s.containerStatuses?.[0]?.restartCount, 2);
});

test('phase follows restartPolicy once containers ended', () => {
  const ended = (exitCode: number) => [
    {
      name: 'c',
      image: 'x',
      restartCount: 0,
      ready: false,
      terminated: { exitCode, reason: exitCode ? 'Error' : 'Completed', finishedAt: T },
    },
  ];
  assert.equal(podPhase(view({ restartPolicy: 'Never', containers: ended(0) })), 'Succeeded');
  assert.equal(podPhase(view({ restartPolicy: 'Never', containers: ended(1) })), 'Failed');
  assert.equal(podPhase(view({ restartPolicy: 'OnFailure', containers: ended(0) })), 'Succeeded');
  assert.equal(
    podPhase(
      view({
        containers: [
          { name: 'c', image: 'x', restartCount: 0, ready: false, waiting: { reason: 'ContainerCreating' } },
        ],
      }),
    ),
    'Pending',
  );
});

test('a crash-looping container waits with CrashLoopBackOff and keeps its last state', () => {
  const s = podStatus(
    view({
      containers: [
        {
          name: 'kubia',
          image: 'kubia',
          restartCount: 3,
          ready: false,
          waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s' },
          lastTerminated: { exitCode: 137, reason: 'Error', startedAt: T, finishedAt: T + 5000 },
        },
      ],
    }),
    undefined,
    T + 6000,
  );
  assert.equal(s.phase, 'Running');
  assert.deepEqual(s.containerStatuses?.[0]?.state, {
    waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s' },
  });
  assert.equal(s.containerStatuses?.[0]?.lastState?.terminated?.exitCode, 137);
});

test('transition times are kept for unchanged conditions; only real changes count', () => {
  const first = podStatus(view(), undefined, T);
  const later = podStatus(view(), first, T + 60_000);
  assert.equal(
    later.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime,
    first.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime,
  );
  const pod = { metadata: { name: 'p' }, spec: { containers: [] }, status: first } as Pod;
  assert.equal(statusChanged(pod, later), false);
  assert.equal(
    statusChanged(
      pod,
      podStatus(
        view({ containers: [{ name: 'kubia', image: 'kubia', restartCount: 1, runningSince: T, ready: true }] }),
        first,
        T,
      ),
    ),
    true,
  );
});
