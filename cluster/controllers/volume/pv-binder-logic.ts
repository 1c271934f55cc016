// The PersistentVolume binder's decisions (kube's persistentvolume controller): which volume a
// claim gets — the smallest Available one whose access modes include the claim's, whose capacity
// covers the request, whose storageClassName and volumeMode equal the claim's and whose labels match
// its selector — and what happens to a volume whose claim is gone (Retain, Delete, Recycle).
import type { PersistentVolume, PersistentVolumeClaim } from '../../../common/api-types.js';
import { matchesSelector } from '../util/labels.js';
import { parseQuantity } from '../util/quantity.js';

export const BindCompletedAnnotation = 'pv.kubernetes.io/bind-completed';
export const BoundByControllerAnnotation = 'pv.kubernetes.io/bound-by-controller';

export function claimClass(c: PersistentVolumeClaim): string {
  return c.spec.storageClassName ?? '';
}

function request(c: PersistentVolumeClaim): number {
  return parseQuantity(
    c.spec.resources?.requests?.storage,
    `persistentvolumeclaims/${c.metadata.name}: spec.resources.requests.storage`,
  );
}

function capacity(v: PersistentVolume): number {
  return parseQuantity(v.spec.capacity?.storage, `persistentvolumes/${v.metadata.name}: spec.capacity.storage`);
}

/** Why volume v cannot serve claim c, or undefined when it can (capacity aside from the ranking). */
export function mismatch(v: PersistentVolume, c: PersistentVolumeClaim): string | undefined {
  if ((v.spec.storageClassName ?? '') !== claimClass(c)) return 'storageClassName differs';
  if ((v.spec.volumeMode ?? 'Filesystem') !== (c.spec.volumeMode ?? 'Filesystem')) return 'volumeMode differs';
  const modes = v.spec.accessModes ?? [];
  if (!(c.spec.accessModes ?? []).every((m) => modes.includes(m))) return "access modes do not include the claim's";
  if (capacity(v) < request(c)) return 'capacity is smaller than the request';
  if (c.spec.selector && !matchesSelector(c.spec.selector, v.metadata.labels))
    return "labels do not match the claim's selector";
  return undefined;
}

function claimRefMatches(v: PersistentVolume, c: PersistentVolumeClaim): boolean {
  const r = v.spec.claimRef;
  return (
    !!r && r.name === c.metadata.name && r.namespace === c.metadata.namespace && (!r.uid || r.uid === c.metadata.uid)
  );
}

/** findBestMatchForClaim: a volume pre-bound to this claim first, else the smallest that fits. */
export function findMatchingVolume(
  c: PersistentVolumeClaim,
  volumes: PersistentVolume[],
): PersistentVolume | undefined {
  const candidates = volumes.filter((v) => !v.metadata.deletionTimestamp && !mismatch(v, c));
  const prebound = candidates.find((v) => claimRefMatches(v, c));
  if (prebound) return prebound;
  const free = candidates.filter((v) => !v.spec.claimRef && (v.status?.phase ?? 'Available') === 'Available');
  free.sort((a, b) => capacity(a) - capacity(b) || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
  return free[0];
}

export type VolumeAction =
  | { type: 'bindVolume'; volume: PersistentVolume; claim: PersistentVolumeClaim }
  | {
      type: 'setVolumePhase';
      volume: PersistentVolume;
      phase: 'Available' | 'Bound' | 'Released' | 'Failed';
      message?: string;
    }
  | { type: 'bindClaim'; claim: PersistentVolumeClaim; volume: PersistentVolume }
  | { type: 'setClaimPhase'; claim: PersistentVolumeClaim; phase: 'Pending' | 'Bound' | 'Lost' }
  | { type: 'deleteVolume'; volume: PersistentVolume }
  | { type: 'recycleVolume'; volume: PersistentVolume }
  | {
      type: 'event';
      on: 'claim' | 'volume';
      obj: PersistentVolume | PersistentVolumeClaim;
      kind: 'Normal' | 'Warning';
      reason: string;
      message: string;
    };

/** syncClaim: the steps for one claim. */
export function planClaim(c: PersistentVolumeClaim, volumes: PersistentVolume[]): VolumeAction[] {
  if (c.metadata.deletionTimestamp) return [];
  const name = c.spec.volumeName;
  if (name) {
    const v = volumes.find((x) => x.metadata.name === name);
    if (!v)
      return c.status?.phase === 'Lost'
        ? []
        : [
            { type: 'setClaimPhase', claim: c, phase: 'Lost' },
            {
              type: 'event',
              on: 'claim',
              obj: c,
              kind: 'Warning',
              reason: 'ClaimLost',
              message: 'Bound claim has lost its PersistentVolume. Data on the volume is lost!',
            },
          ];
    if (!v.spec.claimRef) return [{ type: 'bindVolume', volume: v, claim: c }];
    if (!claimRefMatches(v, c))
      return c.status?.phase === 'Pending' ? [] : [{ type: 'setClaimPhase', claim: c, phase: 'Pending' }];
    if (c.status?.phase !== 'Bound') return [{ type: 'bindClaim', claim: c, volume: v }];
    return [];
  }
  const v = findMatchingVolume(c, volumes);
  if (!v) {
    const why = claimClass(c)
      ? `storageclass.storage.k8s.io "${claimClass(c)}" not found`
      : 'no persistent volumes available for this claim and no storage class is set';
    return [
      ...(c.status?.phase === 'Pending'
        ? []
        : [{ type: 'setClaimPhase' as const, claim: c, phase: 'Pending' as const }]),
      {
        type: 'event',
        on: 'claim',
        obj: c,
        kind: claimClass(c) ? 'Warning' : 'Normal',
        reason: claimClass(c) ? 'ProvisioningFailed' : 'FailedBinding',
        message: why,
      },
    ];
  }
  // Volume side first, as kube does, so a crash in between leaves a volume the claim can still find.
  return [
    { type: 'bindVolume', volume: v, claim: c },
    { type: 'bindClaim', claim: c, volume: v },
  ];
}

/** syncVolume: the steps for one volume, given whether its claim still exists. */
export function planVolume(v: PersistentVolume, claim: PersistentVolumeClaim | undefined): VolumeAction[] {
  if (v.metadata.deletionTimestamp) return [];
  const ref = v.spec.claimRef;
  const phase = v.status?.phase;
  if (!ref) return phase === 'Available' ? [] : [{ type: 'setVolumePhase', volume: v, phase: 'Available' }];
  const gone = !claim || (ref.uid !== undefined && ref.uid !== claim.metadata.uid);
  if (!gone) {
    // Bound from the volume's side; the claim's sync finishes its side.
    if (claim.spec.volumeName === v.metadata.name)
      return phase === 'Bound' ? [] : [{ type: 'setVolumePhase', volume: v, phase: 'Bound' }];
    return [];
  }
  if (!ref.uid) return []; // pre-bound by a user to a claim not created yet: wait for it.
  const policy = v.spec.persistentVolumeReclaimPolicy ?? 'Retain';
  const out: VolumeAction[] = [];
  if (phase !== 'Released' && phase !== 'Failed') out.push({ type: 'setVolumePhase', volume: v, phase: 'Released' });
  if (policy === 'Delete') out.push({ type: 'deleteVolume', volume: v });
  else if (policy === 'Recycle') out.push({ type: 'recycleVolume', volume: v });
  return out;
}
