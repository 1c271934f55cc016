// One sync of a StatefulSet (kube's stateful set control, OrderedReady or Parallel): pods named
// <set>-<ordinal> with a stable hostname, each with its own PVCs <template>-<set>-<ordinal>; with
// OrderedReady, web-1 is created only once web-0 is Running and Ready, and scale-down removes the
// highest ordinal first, one at a time. A template change replaces pods from the highest ordinal down.
import type { PersistentVolumeClaim, Pod, StatefulSet } from '../../../common/api-types.js';
import { computeHash } from '../util/hash.js';
import { isControlledBy, isPodReady, newControllerRef } from '../util/pods.js';

export const PodNameLabel = 'statefulset.kubernetes.io/pod-name';
export const PodIndexLabel = 'apps.kubernetes.io/pod-index';
export const RevisionLabel = 'controller-revision-hash';

export type StatefulSetAction =
  | { type: 'createClaim'; claim: PersistentVolumeClaim; pod: string }
  | { type: 'createPod'; pod: Pod }
  | { type: 'deletePod'; pod: Pod };

export interface StatefulSetPlan {
  actions: StatefulSetAction[];
  status: NonNullable<StatefulSet['status']> & { availableReplicas?: number };
}

export function ordinalOf(set: StatefulSet, p: Pod): number {
  const prefix = `${set.metadata.name}-`;
  const name = p.metadata.name ?? '';
  if (!name.startsWith(prefix)) return -1;
  const rest = name.slice(prefix.length);
  return /^(0|[1-9]\d*)$/.test(rest) ? Number(rest) : -1;
}

export function claimName(templateName: string, set: StatefulSet, ordinal: number): string {
  return `${templateName}-${set.metadata.name}-${ordinal}`;
}

export function revisionOf(set: StatefulSet): string {
  return `${set.metadata.name}-${computeHash(set.spec.template)}`;
}

/** newVersionedStatefulSetPod: identity (name, hostname, subdomain, labels) and the claims' volumes. */
export function newStatefulPod(set: StatefulSet, ordinal: number): Pod {
  const name = `${set.metadata.name}-${ordinal}`;
  const t = set.spec.template;
  const spec = structuredClone(t.spec);
  const claimVolumes = (set.spec.volumeClaimTemplates ?? []).map((c) => ({
    name: c.metadata!.name!,
    persistentVolumeClaim: { claimName: claimName(c.metadata!.name!, set, ordinal) },
  }));
  spec.volumes = [...(spec.volumes ?? []).filter((v) => !claimVolumes.some((c) => c.name === v.name)), ...claimVolumes];
  spec.hostname = name;
  if (set.spec.serviceName) spec.subdomain = set.spec.serviceName;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: set.metadata.namespace,
      labels: {
        ...(t.metadata?.labels ?? {}),
        [PodNameLabel]: name,
        [PodIndexLabel]: String(ordinal),
        [RevisionLabel]: revisionOf(set),
      },
      ...(t.metadata?.annotations ? { annotations: { ...t.metadata.annotations } } : {}),
      ownerReferences: [newControllerRef(set, 'apps/v1', 'StatefulSet')],
    },
    spec,
  };
}

export function newClaims(set: StatefulSet, ordinal: number): PersistentVolumeClaim[] {
  return (set.spec.volumeClaimTemplates ?? []).map((c) => ({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: {
      name: claimName(c.metadata!.name!, set, ordinal),
      namespace: set.metadata.namespace,
      labels: { ...(c.metadata?.labels ?? {}), ...(set.spec.selector.matchLabels ?? {}) },
      ...(c.metadata?.annotations ? { annotations: { ...c.metadata.annotations } } : {}),
    },
    spec: structuredClone(c.spec),
  }));
}

const runningAndReady = (p: Pod) => p.status?.phase === 'Running' && isPodReady(p);

export function planStatefulSet(set: StatefulSet, pods: Pod[], claims: PersistentVolumeClaim[]): StatefulSetPlan {
  const replicas = set.spec.replicas ?? 1;
  const parallel = set.spec.podManagementPolicy === 'Parallel';
  const updateRevision = revisionOf(set);
  const mine = pods.filter((p) => isControlledBy(p, set) && ordinalOf(set, p) >= 0);
  const byOrdinal = new Map(mine.map((p) => [ordinalOf(set, p), p]));
  const claimNames = new Set(claims.map((c) => c.metadata.name));
  const actions: StatefulSetAction[] = [];
  const status = {
    observedGeneration: set.metadata.generation,
    replicas: mine.filter((p) => !p.metadata.deletionTimestamp).length,
    readyReplicas: mine.filter((p) => !p.metadata.deletionTimestamp && isPodReady(p)).length,
    availableReplicas: mine.filter((p) => !p.metadata.deletionTimestamp && isPodReady(p)).length,
    currentReplicas: mine.filter(
      (p) => p.metadata.labels?.[RevisionLabel] === (set.status?.currentRevision ?? updateRevision),
    ).length,
    updatedReplicas: mine.filter((p) => p.metadata.labels?.[RevisionLabel] === updateRevision).length,
    currentRevision: set.status?.currentRevision ?? updateRevision,
    updateRevision,
  };
  if (set.metadata.deletionTimestamp) return { actions, status };

  // Bring up ordinals 0..replicas-1 in order.
  for (let i = 0; i < replicas; i++) {
    const p = byOrdinal.get(i);
    if (p?.status?.phase === 'Failed' && !p.metadata.deletionTimestamp) {
      actions.push({ type: 'deletePod', pod: p });
      if (!parallel) return { actions, status };
      continue;
    }
    if (!p) {
      for (const c of newClaims(set, i))
        if (!claimNames.has(c.metadata.name))
          actions.push({ type: 'createClaim', claim: c, pod: `${set.metadata.name}-${i}` });
      actions.push({ type: 'createPod', pod: newStatefulPod(set, i) });
      if (!parallel) return { actions, status };
      continue;
    }
    // OrderedReady: a predecessor that is terminating or not Running and Ready holds the rest back.
    if (!parallel && (p.metadata.deletionTimestamp || !runningAndReady(p))) return { actions, status };
  }
  // Condemned ordinals, highest first; with OrderedReady one at a time and only when all others are healthy.
  const condemned = [...byOrdinal.entries()].filter(([o]) => o >= replicas).sort((a, b) => b[0] - a[0]);
  for (const [, p] of condemned) {
    if (p.metadata.deletionTimestamp) {
      if (!parallel) return { actions, status };
      continue;
    }
    if (!parallel && mine.some((q) => q !== p && ordinalOf(set, q) < replicas && !runningAndReady(q)))
      return { actions, status };
    actions.push({ type: 'deletePod', pod: p });
    if (!parallel) return { actions, status };
  }
  // RollingUpdate: replace the highest-ordinal pod of an old revision once every pod is Running and Ready.
  if (set.spec.updateStrategy?.type !== 'OnDelete') {
    const partition = set.spec.updateStrategy?.rollingUpdate?.partition ?? 0;
    const all = [...byOrdinal.entries()].filter(([o]) => o < replicas).sort((a, b) => b[0] - a[0]);
    if (all.every(([, p]) => runningAndReady(p) && !p.metadata.deletionTimestamp)) {
      const stale = all.find(([o, p]) => o >= partition && p.metadata.labels?.[RevisionLabel] !== updateRevision);
      if (stale) actions.push({ type: 'deletePod', pod: stale[1] });
      else if (all.length === replicas) status.currentRevision = updateRevision;
    }
  }
  if (status.currentRevision === updateRevision) status.currentReplicas = status.updatedReplicas;
  return { actions, status };
}
