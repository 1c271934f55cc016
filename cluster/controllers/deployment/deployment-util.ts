// Facts about a Deployment and its ReplicaSets that the rollout logic and kubectl agree on: the
// revision annotations, the pod-template-hash, which ReplicaSet is "new", maxSurge/maxUnavailable.
import type { Deployment, PodTemplateSpec, ReplicaSet } from '../../../common/api-types.js';
import { computeHash, stableJson } from '../util/hash.js';
import { scaledValue } from '../util/int-or-percent.js';

export const RevisionAnnotation = 'deployment.kubernetes.io/revision';
export const RevisionHistoryAnnotation = 'deployment.kubernetes.io/revision-history';
export const DesiredReplicasAnnotation = 'deployment.kubernetes.io/desired-replicas';
export const MaxReplicasAnnotation = 'deployment.kubernetes.io/max-replicas';
export const PodTemplateHashLabel = 'pod-template-hash';

/** Deployment annotations that are not copied onto its ReplicaSets (deploymentutil.skipCopyAnnotation). */
const SKIP_COPY = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  RevisionAnnotation,
  RevisionHistoryAnnotation,
  DesiredReplicasAnnotation,
  MaxReplicasAnnotation,
]);

export function revisionOf(rs: { metadata: { annotations?: Record<string, string> } }): number {
  const v = Number(rs.metadata.annotations?.[RevisionAnnotation] ?? '0');
  return Number.isFinite(v) ? v : 0;
}

export function replicasOf(d: Deployment): number {
  return d.spec.replicas ?? 1;
}

/** Go clients send `"creationTimestamp": null` inside templates (kubectl rollout undo does): absent and null are the same. */
function dropNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(dropNulls);
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.entries(v)
        .filter(([, x]) => x !== null)
        .map(([k, x]) => [k, dropNulls(x)]),
    );
  return v;
}

function withoutHash(t: PodTemplateSpec | undefined): string {
  const c = dropNulls(structuredClone(t ?? { spec: { containers: [] } })) as PodTemplateSpec;
  if (c.metadata?.labels) delete c.metadata.labels[PodTemplateHashLabel];
  return stableJson(c);
}

/** deploymentutil.EqualIgnoreHash: same template once the pod-template-hash label is set aside. */
export function equalIgnoreHash(a: PodTemplateSpec | undefined, b: PodTemplateSpec | undefined): boolean {
  return withoutHash(a) === withoutHash(b);
}

export function templateHash(d: Deployment): string {
  return computeHash(d.spec.template, d.status?.collisionCount);
}

/** The oldest ReplicaSet whose template equals the Deployment's is the new one (FindNewReplicaSet). */
export function findNewReplicaSet(d: Deployment, rss: ReplicaSet[]): ReplicaSet | undefined {
  return byCreation(rss).find((rs) => equalIgnoreHash(rs.spec.template, d.spec.template));
}

export function byCreation<T extends { metadata: { creationTimestamp?: string; name?: string } }>(list: T[]): T[] {
  return [...list].sort(
    (a, b) =>
      (Date.parse(a.metadata.creationTimestamp ?? '') || 0) - (Date.parse(b.metadata.creationTimestamp ?? '') || 0) ||
      (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''),
  );
}

export function resolveFenceposts(d: Deployment): { maxSurge: number; maxUnavailable: number } {
  const r = replicasOf(d);
  const ru = d.spec.strategy?.rollingUpdate;
  const maxSurge = scaledValue(ru?.maxSurge, r, true, 'spec.strategy.rollingUpdate.maxSurge', '25%');
  let maxUnavailable = scaledValue(ru?.maxUnavailable, r, false, 'spec.strategy.rollingUpdate.maxUnavailable', '25%');
  // Both zero would let a rollout never move: kube makes unavailability 1 then.
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable: Math.min(maxUnavailable, r) };
}

export function specReplicas(rs: ReplicaSet): number {
  return rs.spec.replicas ?? 0;
}

export function sumSpec(rss: ReplicaSet[]): number {
  return rss.reduce((s, rs) => s + specReplicas(rs), 0);
}

export function sumStatus(rss: ReplicaSet[], f: 'replicas' | 'readyReplicas' | 'availableReplicas'): number {
  return rss.reduce((s, rs) => s + (rs.status?.[f] ?? 0), 0);
}

/** Annotations the ReplicaSet inherits from the Deployment, plus its revision bookkeeping. */
export function replicaSetAnnotations(
  d: Deployment,
  revision: number,
  maxSurge: number,
  current: Record<string, string> = {},
): Record<string, string> {
  const out: Record<string, string> = { ...current };
  for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) if (!SKIP_COPY.has(k)) out[k] = v;
  out[RevisionAnnotation] = String(revision);
  out[DesiredReplicasAnnotation] = String(replicasOf(d));
  out[MaxReplicasAnnotation] = String(replicasOf(d) + maxSurge);
  return out;
}
