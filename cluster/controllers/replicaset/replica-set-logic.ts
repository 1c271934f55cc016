// What a ReplicaSet (or ReplicationController: same logic, map selector) must do to its pods: adopt
// matching orphans, release owned pods that no longer match, create or delete to reach spec.replicas
// (deleting the least useful pods first, as getPodsToDelete ranks them), and the status to write.
import type {
  LabelSelector,
  Pod,
  PodTemplateSpec,
  ReplicaSet,
  ReplicationController,
  KubeObject,
  OwnerReference,
} from '../../../common/api-types.js';
import { matchesSelector } from '../util/labels.js';
import { controllerRefOf, isPodActive, isPodAvailable, isPodReady, newControllerRef } from '../util/pods.js';

/** kube-controller-manager's burstReplicas: at most this many creates or deletes per sync. */
export const BURST_REPLICAS = 500;

/** The part of a ReplicaSet or ReplicationController the logic reads. */
export interface ReplicaOwner {
  obj: KubeObject;
  apiVersion: string;
  kind: 'ReplicaSet' | 'ReplicationController';
  replicas: number;
  selector: LabelSelector;
  template: PodTemplateSpec | undefined;
  minReadySeconds: number;
}

export function fromReplicaSet(rs: ReplicaSet): ReplicaOwner {
  return {
    obj: rs,
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    replicas: rs.spec.replicas ?? 1,
    selector: rs.spec.selector,
    template: rs.spec.template,
    minReadySeconds: rs.spec.minReadySeconds ?? 0,
  };
}

export function fromReplicationController(rc: ReplicationController): ReplicaOwner {
  // An RC with no selector selects its template's labels (the API defaults it so).
  const selector = rc.spec.selector ?? rc.spec.template?.metadata?.labels ?? {};
  return {
    obj: rc,
    apiVersion: 'v1',
    kind: 'ReplicationController',
    replicas: rc.spec.replicas ?? 1,
    selector: { matchLabels: selector },
    template: rc.spec.template,
    minReadySeconds: 0,
  };
}

export interface ReplicaPlan {
  adopt: Pod[];
  release: Pod[];
  /** Pods to create (count). */
  create: number;
  /** Pods to delete, in the order chosen. */
  delete: Pod[];
  status: {
    replicas: number;
    fullyLabeledReplicas: number;
    readyReplicas: number;
    availableReplicas: number;
    observedGeneration?: number;
  };
  ref: OwnerReference;
}

/** controller.ActivePods ordering, least useful first: unassigned, pending, not ready, ready for less time, more restarts, newer. */
export function rankForDeletion(a: Pod, b: Pod): number {
  const assigned = (p: Pod) => (p.spec.nodeName ? 1 : 0);
  if (assigned(a) !== assigned(b)) return assigned(a) - assigned(b);
  const phaseRank = (p: Pod) =>
    (({ Pending: 0, Unknown: 1, Running: 2 }) as Record<string, number>)[p.status?.phase ?? 'Pending'] ?? 0;
  if (phaseRank(a) !== phaseRank(b)) return phaseRank(a) - phaseRank(b);
  const ready = (p: Pod) => (isPodReady(p) ? 1 : 0);
  if (ready(a) !== ready(b)) return ready(a) - ready(b);
  const restarts = (p: Pod) => (p.status?.containerStatuses ?? []).reduce((s, c) => s + c.restartCount, 0);
  if (restarts(a) !== restarts(b)) return restarts(b) - restarts(a);
  const created = (p: Pod) => Date.parse(p.metadata.creationTimestamp ?? '') || 0;
  if (created(a) !== created(b)) return created(b) - created(a);
  return (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '');
}

/** `pods` are the owner's namespace's pods (any owner): the logic picks what is its own. */
export function planReplicas(o: ReplicaOwner, pods: Pod[], now: number): ReplicaPlan {
  const uid = o.obj.metadata.uid;
  const ref = newControllerRef(o.obj, o.apiVersion, o.kind);
  const adopt: Pod[] = [];
  const release: Pod[] = [];
  const mine: Pod[] = [];
  const deleting = !!o.obj.metadata.deletionTimestamp;
  for (const p of pods) {
    const cref = controllerRefOf(p);
    const matches = matchesSelector(o.selector, p.metadata.labels);
    if (cref) {
      if (cref.uid !== uid) continue;
      if (!matches) {
        release.push(p);
        continue;
      }
      mine.push(p);
    } else if (matches && !deleting && !p.metadata.deletionTimestamp && isPodActive(p)) {
      adopt.push(p);
      mine.push(p);
    }
  }
  const active = mine.filter(isPodActive);
  let create = 0;
  let del: Pod[] = [];
  if (!deleting) {
    const diff = active.length - o.replicas;
    if (diff < 0) create = Math.min(-diff, BURST_REPLICAS);
    else if (diff > 0) del = [...active].sort(rankForDeletion).slice(0, Math.min(diff, BURST_REPLICAS));
  }
  const templateLabels = o.template?.metadata?.labels ?? {};
  const status = {
    replicas: active.length,
    fullyLabeledReplicas: active.filter((p) =>
      Object.entries(templateLabels).every(([k, v]) => p.metadata.labels?.[k] === v),
    ).length,
    readyReplicas: active.filter(isPodReady).length,
    availableReplicas: active.filter((p) => isPodAvailable(p, o.minReadySeconds, now)).length,
    observedGeneration: o.obj.metadata.generation,
  };
  return { adopt, release, create, delete: del, status, ref };
}

/** client-go's slowStartBatch: 1, 2, 4, … creates at a time, stopping at the first batch that failed. */
export function slowStartBatches(count: number, initial = 1): number[] {
  const out: number[] = [];
  let left = count;
  let size = Math.min(initial, count);
  while (left > 0) {
    out.push(size);
    left -= size;
    size = Math.min(size * 2, left);
  }
  return out;
}
