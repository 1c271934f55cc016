// One sync of a Deployment (kube-controller-manager's deployment controller): from the Deployment,
// the ReplicaSets it owns and their pods, the ordered writes that move the rollout one step —
// create the new ReplicaSet, scale new up and old down within maxSurge/maxUnavailable (or all old
// to zero first for Recreate), keep revision annotations, prune history — and the status to write.
// Pure: the wiring applies the actions in order and the next watch event brings the next step.
import type { Deployment, Pod, ReplicaSet } from '../../../common/api-types.js';
import { isControlledBy } from '../util/pods.js';
import { DesiredReplicasAnnotation, replicasOf, specReplicas, sumSpec, sumStatus } from './deployment-util.js';
import { Planner, type DeploymentPlan } from './deployment-planner.js';

export type { DeploymentAction, DeploymentPlan, PlannedEvent } from './deployment-planner.js';

/** Proportional scaling (dc.scale) when spec.replicas changed in the middle of things. */
function scale(p: Planner): void {
  const want = replicasOf(p.d);
  const active = p.all.filter((rs) => specReplicas(rs) > 0);
  if (active.length <= 1) {
    const target = active[0] ?? p.newRS;
    if (target && specReplicas(target) !== want) p.updateRS(target, want);
    return;
  }
  const newRS = p.newRS;
  if (newRS && specReplicas(newRS) === want && (newRS.status?.availableReplicas ?? 0) >= want) {
    for (const rs of p.old) if (specReplicas(rs) > 0) p.updateRS(rs, 0);
    return;
  }
  const { maxSurge } = p.fence();
  const allowed = want + maxSurge;
  const total = sumSpec(active);
  const toAdd = allowed - total;
  if (toAdd === 0) return;
  // Bigger sets take more of a scale-up and give more of a scale-down; the leftover goes to the first.
  const ordered = [...active].sort((a, b) =>
    toAdd > 0 ? specReplicas(b) - specReplicas(a) : specReplicas(a) - specReplicas(b),
  );
  const shares = ordered.map((rs) => Math.trunc((specReplicas(rs) * toAdd) / total));
  const leftover = toAdd - shares.reduce((s, x) => s + x, 0);
  shares[0]! += leftover;
  ordered.forEach((rs, i) => p.updateRS(rs, Math.max(0, specReplicas(rs) + shares[i]!)));
}

function isScalingEvent(p: Planner): boolean {
  const want = String(replicasOf(p.d));
  return p.all.some(
    (rs) =>
      specReplicas(rs) > 0 &&
      rs.metadata.annotations?.[DesiredReplicasAnnotation] !== undefined &&
      rs.metadata.annotations[DesiredReplicasAnnotation] !== want,
  );
}

function rolloutRolling(p: Planner): void {
  p.syncRevision(true, () => p.newRSNewReplicas());
  const newRS = p.newRS!;
  // reconcileNewReplicaSet
  const want = replicasOf(p.d);
  if (specReplicas(newRS) > want) {
    p.updateRS(newRS, want);
    return;
  }
  const n = p.newRSNewReplicas();
  if (n !== specReplicas(newRS)) {
    p.updateRS(newRS, n);
    return;
  }
  // reconcileOldReplicaSets
  const oldCount = sumSpec(p.old);
  if (oldCount > 0) {
    const { maxUnavailable } = p.fence();
    const minAvailable = want - maxUnavailable;
    const newUnavailable = specReplicas(p.newRS!) - (p.newRS!.status?.availableReplicas ?? 0);
    const maxScaledDown = sumSpec(p.all) - minAvailable - newUnavailable;
    if (maxScaledDown > 0) {
      // First drop old pods that are not available anyway: that costs no availability.
      let cleaned = 0;
      for (const rs of p.old) {
        if (cleaned >= maxScaledDown) break;
        const unhealthy = specReplicas(rs) - (rs.status?.availableReplicas ?? 0);
        if (specReplicas(rs) === 0 || unhealthy <= 0) continue;
        const down = Math.min(maxScaledDown - cleaned, unhealthy);
        p.updateRS(rs, specReplicas(rs) - down);
        cleaned += down;
      }
      // Then available old pods, as far as minAvailable allows.
      const available = sumStatus(p.all, 'availableReplicas');
      let total = Math.max(0, Math.min(available - minAvailable, maxScaledDown - cleaned));
      for (const rs of p.old) {
        if (total <= 0) break;
        if (specReplicas(rs) === 0) continue;
        const down = Math.min(specReplicas(rs), total);
        p.updateRS(rs, specReplicas(rs) - down);
        total -= down;
      }
    }
    if (p.actions.some((a) => a.type === 'updateReplicaSet')) return;
  }
  if (p.isComplete()) p.cleanup();
}

function rolloutRecreate(p: Planner): void {
  p.syncRevision(false, () => 0);
  let scaledDown = false;
  for (const rs of p.old) {
    if (specReplicas(rs) > 0) {
      p.updateRS(rs, 0);
      scaledDown = true;
    }
  }
  if (scaledDown || p.oldPodsRunning()) return;
  if (!p.newRS) {
    p.syncRevision(true, () => replicasOf(p.d));
    return;
  }
  if (specReplicas(p.newRS) !== replicasOf(p.d)) {
    p.updateRS(p.newRS, replicasOf(p.d));
    return;
  }
  if (p.isComplete()) p.cleanup();
}

/**
 * `replicaSets` and `pods`: the namespace's (any owner); the plan considers those the Deployment
 * controls. Adoption of orphaned ReplicaSets is left out: kubewire's Deployments create their own.
 */
export function planDeployment(d: Deployment, replicaSets: ReplicaSet[], pods: Pod[], now: number): DeploymentPlan {
  const owned = replicaSets.filter((rs) => isControlledBy(rs, d));
  const p = new Planner(d, owned, pods, now);
  if (!d.metadata.deletionTimestamp) {
    if (d.spec.paused) {
      p.syncRevision(false, () => 0);
      scale(p);
    } else if (isScalingEvent(p)) {
      p.syncRevision(false, () => 0);
      scale(p);
    } else if (d.spec.strategy?.type === 'Recreate') {
      rolloutRecreate(p);
    } else {
      rolloutRolling(p);
    }
  }
  p.finishStatus();
  return {
    actions: p.actions,
    events: p.events,
    ...(p.requeueAfterMs !== undefined ? { requeueAfterMs: p.requeueAfterMs } : {}),
  };
}
