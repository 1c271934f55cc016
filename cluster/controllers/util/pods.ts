// What controllers ask of a pod (k8s.io/kubernetes/pkg/api/v1/pod and controller_utils): is it
// active, ready, available; and how a pod is made from an owner's template.
import type { KubeObject, ObjectMeta, OwnerReference, Pod, PodTemplateSpec } from '../../../common/api-types.js';
import { rfc3339 } from '../../../common/time.js';

export function isPodActive(p: Pod): boolean {
  return p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed' && !p.metadata.deletionTimestamp;
}

export function readyCondition(p: Pod) {
  return p.status?.conditions?.find((c) => c.type === 'Ready');
}

export function isPodReady(p: Pod): boolean {
  return readyCondition(p)?.status === 'True';
}

/** Ready for at least minReadySeconds (podutil.IsPodAvailable). */
export function isPodAvailable(p: Pod, minReadySeconds: number, now: number): boolean {
  const c = readyCondition(p);
  if (c?.status !== 'True') return false;
  if (!minReadySeconds) return true;
  const since = c.lastTransitionTime ? Date.parse(c.lastTransitionTime) : NaN;
  return Number.isFinite(since) && since + minReadySeconds * 1000 <= now;
}

export function controllerRefOf(o: KubeObject): OwnerReference | undefined {
  return o.metadata.ownerReferences?.find((r) => r.controller);
}

export function isControlledBy(o: KubeObject, owner: KubeObject): boolean {
  const r = controllerRefOf(o);
  return !!r && r.uid === owner.metadata.uid;
}

export function newControllerRef(owner: KubeObject, apiVersion: string, kind: string): OwnerReference {
  return {
    apiVersion,
    kind,
    name: owner.metadata.name!,
    uid: owner.metadata.uid!,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** controller.GetPodFromTemplate: labels, annotations, finalizers and spec from the template, a generateName of `<owner>-`. */
export function podFromTemplate(
  template: PodTemplateSpec | undefined,
  owner: KubeObject,
  ref: OwnerReference,
  meta: Partial<ObjectMeta> = {},
): Pod {
  const tm = template?.metadata ?? {};
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `${owner.metadata.name}-`,
      namespace: owner.metadata.namespace,
      labels: { ...(tm.labels ?? {}) },
      ...(tm.annotations ? { annotations: { ...tm.annotations } } : {}),
      ...(tm.finalizers ? { finalizers: [...tm.finalizers] } : {}),
      ownerReferences: [ref],
      ...meta,
    },
    spec: structuredClone(template?.spec ?? { containers: [] }),
  };
}

/** Timestamps as the API writes them: RFC 3339, second precision. */
export { rfc3339 };
