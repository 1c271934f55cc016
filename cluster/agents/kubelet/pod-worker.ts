// What the kubelet keeps per pod between syncs (its pod worker) and per container (its state for
// the pod's status, probes and crash-loop back-off), and the rules that move a container's state:
// a first crash restarts at once, then the back-off doubles from 10 s to 5 min.
import type { Container, Pod } from '../../../common/api-types.js';
import type { PodRecord } from '../../../runtime/lab/lab-state.js';
import type { ContainerRuntimeState } from './pod-status.js';
import { ProbeState } from './probes.js';

export const BACKOFF_START_MS = 10_000;
export const BACKOFF_MAX_MS = 300_000;

/** The back-off after `ms`: 10 s first, then doubled up to 5 min. */
export function nextBackoff(ms: number | undefined): number {
  return ms ? Math.min(ms * 2, BACKOFF_MAX_MS) : BACKOFF_START_MS;
}

export interface ContainerState extends ContainerRuntimeState {
  backoffMs: number;
  nextStart: number;
  startedOnce: boolean;
  liveness?: ProbeState;
  readiness?: ProbeState;
  probing?: boolean;
}

export interface PodWorker {
  key: string;
  namespace: string;
  name: string;
  uid: string;
  pod?: Pod;
  static?: Pod;
  fromTopology?: boolean;
  successorStatic?: Pod;
  mirror?: Pod;
  successor?: Pod;
  gone?: boolean;
  record?: PodRecord;
  containers: Map<string, ContainerState>;
  initContainers?: Map<string, ContainerState>;
  initialized?: boolean;
  restartCounts: Record<string, number>;
  startTime: number;
  /** Not before: a container's config could not be made (the pod's sync is due again then). */
  retryAt?: number;
  /** The earliest time a container's back-off (crash loop, image pull) ends. */
  wakeAt?: number;
  lastPosted?: string;
  volumePaths?: Map<string, string>;
  /** The pod failed for good (an init container failed under restartPolicy Never). */
  failed?: boolean;
}

/** The container's state in the worker, made from the pod's record the first time it is asked for. */
export function containerState(w: PodWorker, c: Container, now: number, init = false): ContainerState {
  const map = init ? (w.initContainers ??= new Map()) : w.containers;
  let cs = map.get(c.name);
  if (!cs) {
    const proc = init ? undefined : w.record?.containers[c.name];
    const id = w.record?.containerIds?.[c.name];
    cs = {
      name: c.name,
      image: c.image ?? '',
      restartCount: w.restartCounts[c.name] ?? 0,
      ready: !!proc && !c.readinessProbe,
      backoffMs: 0,
      nextStart: 0,
      startedOnce: !!proc || (w.restartCounts[c.name] ?? 0) > 0,
      ...(proc
        ? { runningSince: now, ...(id ? { containerID: id } : {}) }
        : { waiting: { reason: init ? 'PodInitializing' : 'ContainerCreating' } }),
    };
    if (proc) {
      cs.readiness = c.readinessProbe ? new ProbeState(false) : undefined;
      cs.liveness = c.livenessProbe ? new ProbeState(true) : undefined;
    }
    map.set(c.name, cs);
  }
  return cs;
}

/** Records that a running container ended: its last state and when it may start again. */
export function recordExit(
  cs: ContainerState,
  exit: { exitCode: number; reason: string; startedAt?: number; finishedAt?: number },
  sandboxGone: boolean,
  now: number,
): void {
  if (cs.runningSince === undefined) return;
  cs.lastTerminated = {
    exitCode: exit.exitCode,
    reason: exit.reason,
    startedAt: exit.startedAt ?? cs.runningSince,
    finishedAt: exit.finishedAt ?? now,
  };
  cs.runningSince = undefined;
  cs.ready = false;
  // A crash loop backs off; a sandbox rebuild or the first crash restarts at once.
  cs.nextStart = sandboxGone || cs.backoffMs === 0 ? now : now + cs.backoffMs;
  cs.backoffMs = nextBackoff(cs.backoffMs);
  if (sandboxGone) cs.backoffMs = 0;
}

/** restartPolicy: Always restarts, Never does not, OnFailure after a non-zero exit. */
export function shouldRestart(policy: string, cs: ContainerState): boolean {
  if (policy === 'Always') return true;
  if (policy === 'Never') return false;
  return (cs.lastTerminated?.exitCode ?? 1) !== 0;
}

/** A pod whose containers all ended and will not be restarted. */
export function podFinished(w: PodWorker): boolean {
  const pod = w.pod;
  if (w.failed) return true;
  if (!pod || (pod.spec.restartPolicy ?? 'Always') === 'Always') return false;
  return pod.spec.containers.every((c) => w.containers.get(c.name)?.terminated);
}
