// The API objects a pod names, as k8s.io/kubernetes pkg/api/v1/pod's VisitPodSecretNames and
// VisitPodConfigmapNames walk them (every container kind, env, envFrom, volumes, projections,
// imagePullSecrets): what the Node authorizer lets a node read, and what NodeRestriction forbids
// in a mirror pod.
import type { KObject } from '../registry/object-store.js';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined);
const arr = (v: unknown): Obj[] => (Array.isArray(v) ? v.map(obj).filter((x): x is Obj => !!x) : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);

function containers(spec: Obj): Obj[] {
  return [...arr(spec.initContainers), ...arr(spec.containers), ...arr(spec.ephemeralContainers)];
}

/** Volume sources that carry a `secretRef: {name}` (cephfs, cinder, flexVolume, iscsi, rbd, scaleIO, storageos). */
const SECRET_REF_VOLUMES = ['cephfs', 'cinder', 'flexVolume', 'iscsi', 'rbd', 'scaleIO', 'storageos'];

export function podSecretNames(pod: KObject): Set<string> {
  const out = new Set<string>();
  const add = (v: unknown) => {
    const s = str(v);
    if (s) out.add(s);
  };
  const spec = obj(pod.spec) ?? {};
  for (const r of arr(spec.imagePullSecrets)) add(r.name);
  for (const c of containers(spec)) {
    for (const e of arr(c.envFrom)) add(obj(e.secretRef)?.name);
    for (const e of arr(c.env)) add(obj(obj(e.valueFrom)?.secretKeyRef)?.name);
  }
  for (const v of arr(spec.volumes)) {
    add(obj(v.secret)?.secretName);
    add(obj(v.azureFile)?.secretName);
    for (const kind of SECRET_REF_VOLUMES) add(obj(obj(v[kind])?.secretRef)?.name);
    add(obj(obj(v.csi)?.nodePublishSecretRef)?.name);
    for (const s of arr(obj(v.projected)?.sources)) add(obj(s.secret)?.name);
  }
  return out;
}

export function podConfigMapNames(pod: KObject): Set<string> {
  const out = new Set<string>();
  const add = (v: unknown) => {
    const s = str(v);
    if (s) out.add(s);
  };
  const spec = obj(pod.spec) ?? {};
  for (const c of containers(spec)) {
    for (const e of arr(c.envFrom)) add(obj(e.configMapRef)?.name);
    for (const e of arr(c.env)) add(obj(obj(e.valueFrom)?.configMapKeyRef)?.name);
  }
  for (const v of arr(spec.volumes)) {
    add(obj(v.configMap)?.name);
    for (const s of arr(obj(v.projected)?.sources)) add(obj(s.configMap)?.name);
  }
  return out;
}

export function podClaimNames(pod: KObject): Set<string> {
  const out = new Set<string>();
  for (const v of arr(obj(pod.spec)?.volumes)) {
    const claim = str(obj(v.persistentVolumeClaim)?.claimName);
    if (claim) out.add(claim);
    // A generic ephemeral volume's claim is named <pod>-<volume>.
    if (obj(v.ephemeral) && str(v.name)) out.add(`${String(pod.metadata?.name)}-${String(v.name)}`);
  }
  return out;
}

export function podServiceAccount(pod: KObject): string | undefined {
  return str(obj(pod.spec)?.serviceAccountName);
}
