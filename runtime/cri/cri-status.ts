// CRI's status messages from the runtime's records: what PodSandboxStatus and ContainerStatus
// report (fields that are unset stay absent, as in the protobuf messages crictl prints).
import type { ContainerRecord, SandboxRecord } from './cri-store.js';
import type { ContainerStatus, PodSandboxStatus } from './cri-types.js';

/** The process in the container's PID namespace and, when found, as the host sees it. */
function processFields(r: { pid?: number; hostPid?: number; hostStart?: number }) {
  return {
    ...(r.pid ? { pid: r.pid } : {}),
    ...(r.hostPid ? { hostPid: r.hostPid, hostStartTime: r.hostStart ?? 0 } : {}),
  };
}

export function sandboxStatusOf(sb: SandboxRecord): PodSandboxStatus {
  const { id, name, namespace, uid, state, createdAt, netnsPath, labels, annotations } = sb;
  return { id, name, namespace, uid, state, createdAt, netnsPath, labels, annotations, ...processFields(sb) };
}

export function containerStatusOf(rec: ContainerRecord, state: ContainerStatus['state']): ContainerStatus {
  const { id, podSandboxId, name, image, imageId, createdAt, logPath, labels, annotations } = rec;
  const { startedAt, finishedAt, exitCode, reason } = rec;
  return {
    id,
    podSandboxId,
    name,
    image,
    imageId,
    state,
    createdAt,
    logPath,
    labels,
    annotations,
    ...(startedAt !== undefined ? { startedAt } : {}),
    ...(finishedAt !== undefined ? { finishedAt } : {}),
    ...(exitCode !== undefined ? { exitCode } : {}),
    ...(reason ? { reason } : {}),
    ...processFields(rec),
  };
}

/** A label selector of exact matches (CRI's filter): every wanted label has the wanted value. */
export function labelsMatch(labels: Record<string, string>, want: Record<string, string> | undefined): boolean {
  return !want || Object.entries(want).every(([k, v]) => labels[k] === v);
}
