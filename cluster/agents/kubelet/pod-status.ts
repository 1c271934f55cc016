// The status a kubelet reports for a pod, computed from what it knows of the sandbox and each
// container (kubelet's generateAPIPodStatus): phase, conditions, IPs and containerStatuses. Pure.
import type { ContainerStatus, Pod, PodCondition, PodPhase, PodStatus } from '../../../common/api-types.js';
import { rfc3339 } from '../../../common/time.js';

export interface ContainerRuntimeState {
  name: string;
  image: string;
  containerID?: string;
  restartCount: number;
  /** Started at (ms) while running. */
  runningSince?: number;
  /** Waiting, with a reason (ContainerCreating, CrashLoopBackOff). */
  waiting?: { reason: string; message?: string };
  terminated?: { exitCode: number; reason: string; startedAt?: number; finishedAt: number };
  lastTerminated?: { exitCode: number; reason: string; startedAt?: number; finishedAt: number };
  ready: boolean;
  /** The image's id (config digest) once resolved. */
  imageID?: string;
  pullBackoffMs?: number;
}

export interface PodRuntimeView {
  podIP?: string;
  hostIP: string;
  startTime: number;
  containers: ContainerRuntimeState[];
  restartPolicy: 'Always' | 'OnFailure' | 'Never';
  /** With init containers: whether all completed, and their states. */
  initialized?: boolean;
  initContainers?: ContainerRuntimeState[];
  /** An init container failed under restartPolicy Never. */
  failed?: boolean;
}

const iso = (ms: number) => rfc3339(ms);

export function podPhase(v: PodRuntimeView): PodPhase {
  if (v.failed) return 'Failed';
  if (v.initialized === false) return 'Pending';
  const cs = v.containers;
  if (cs.some((c) => c.runningSince !== undefined)) return 'Running';
  if (cs.length > 0 && cs.every((c) => c.terminated)) {
    if (v.restartPolicy === 'Always') return 'Running';
    if (cs.every((c) => c.terminated!.exitCode === 0)) return 'Succeeded';
    if (v.restartPolicy === 'Never') return 'Failed';
  }
  if (cs.some((c) => c.terminated || c.lastTerminated) && v.restartPolicy !== 'Never') return 'Running';
  return 'Pending';
}

function state(c: {
  runningSince?: number;
  waiting?: { reason: string; message?: string };
  terminated?: ContainerRuntimeState['terminated'];
}): ContainerStatus['state'] {
  if (c.runningSince !== undefined) return { running: { startedAt: iso(c.runningSince) } };
  if (c.terminated) {
    const t = c.terminated;
    return {
      terminated: {
        exitCode: t.exitCode,
        reason: t.reason,
        ...(t.startedAt ? { startedAt: iso(t.startedAt) } : {}),
        finishedAt: iso(t.finishedAt),
      },
    };
  }
  return {
    waiting: {
      reason: c.waiting?.reason ?? 'ContainerCreating',
      ...(c.waiting?.message ? { message: c.waiting.message } : {}),
    },
  };
}

/** The new status; lastTransitionTime is kept from `previous` where a condition did not change. */
export function podStatus(v: PodRuntimeView, previous: PodStatus | undefined, now: number): PodStatus {
  const phase = podPhase(v);
  const toStatus = (c: ContainerRuntimeState): ContainerStatus => ({
    name: c.name,
    ready: c.ready,
    restartCount: c.restartCount,
    image: c.image,
    imageID: c.imageID ?? '',
    ...(c.containerID ? { containerID: `kubewire://${c.containerID}` } : {}),
    started: c.runningSince !== undefined,
    state: state(c),
    ...(c.lastTerminated ? { lastState: state({ terminated: c.lastTerminated }) } : {}),
  });
  const containerStatuses = v.containers.map(toStatus);
  const allReady = v.containers.length > 0 && v.containers.every((c) => c.ready);
  const notReady = v.containers.filter((c) => !c.ready).map((c) => c.name);
  const unready = notReady.length
    ? { reason: 'ContainersNotReady', message: `containers with unready status: [${notReady.join(' ')}]` }
    : {};
  const cond = (type: string, ok: boolean, extra: Partial<PodCondition> = {}): PodCondition => {
    const status = ok ? 'True' : 'False';
    const before = previous?.conditions?.find((x) => x.type === type);
    return {
      type,
      status,
      lastProbeTime: null,
      lastTransitionTime: before && before.status === status ? before.lastTransitionTime : iso(now),
      ...(ok ? {} : extra),
    };
  };
  const conditions: PodCondition[] = [
    cond('PodReadyToStartContainers', v.podIP !== undefined),
    cond('Initialized', v.initialized !== false, {
      reason: 'ContainersNotInitialized',
      message: 'containers with incomplete status: [init]',
    }),
    cond('Ready', allReady && phase === 'Running', unready),
    cond('ContainersReady', allReady, unready),
    cond('PodScheduled', true),
  ];
  return {
    phase,
    conditions,
    hostIP: v.hostIP,
    hostIPs: [{ ip: v.hostIP }],
    ...(v.podIP ? { podIP: v.podIP, podIPs: [{ ip: v.podIP }] } : {}),
    startTime: iso(v.startTime),
    containerStatuses,
    ...(v.initContainers ? { initContainerStatuses: v.initContainers.map(toStatus) } : {}),
  } as PodStatus;
}

/** Whether writing `next` would change what the API holds (transition times aside). */
export function statusChanged(pod: Pod, next: PodStatus): boolean {
  const norm = (s: PodStatus) =>
    JSON.stringify([
      s.phase,
      s.podIP,
      s.hostIP,
      s.startTime,
      s.containerStatuses,
      s.conditions?.map((c) => [c.type, c.status, c.reason, c.message]),
    ]);
  return norm(pod.status ?? {}) !== norm(next);
}
