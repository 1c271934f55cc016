// The state of one Deployment sync and the writes it plans (deployment-logic.ts decides which):
// the new and old ReplicaSets, revisions and their history, scaling a ReplicaSet, the status with
// its conditions, and the pruning of old ReplicaSets beyond revisionHistoryLimit.
import type { Deployment, DeploymentStatus, Pod, ReplicaSet } from '../../../common/api-types.js';
import { stableJson } from '../util/hash.js';
import { controllerRefOf, newControllerRef } from '../util/pods.js';
import {
  byCreation,
  DesiredReplicasAnnotation,
  findNewReplicaSet,
  PodTemplateHashLabel,
  replicaSetAnnotations,
  replicasOf,
  resolveFenceposts,
  revisionOf,
  RevisionAnnotation,
  RevisionHistoryAnnotation,
  specReplicas,
  sumSpec,
  sumStatus,
  templateHash,
} from './deployment-util.js';
import { rfc3339 } from '../../../common/time.js';

export type DeploymentAction =
  | { type: 'createReplicaSet'; rs: ReplicaSet }
  /** Full object with the changed replicas/annotations; its resourceVersion makes the write conditional. */
  | { type: 'updateReplicaSet'; rs: ReplicaSet }
  | { type: 'deleteReplicaSet'; rs: ReplicaSet }
  | { type: 'updateDeploymentAnnotations'; annotations: Record<string, string> }
  | { type: 'updateStatus'; status: DeploymentStatus };

export interface PlannedEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface DeploymentPlan {
  actions: DeploymentAction[];
  events: PlannedEvent[];
  /** Look again then even if nothing changes: when the progress deadline would pass (ms from now). */
  requeueAfterMs?: number;
}

/** One sync's state and the writes it plans; the strategies (deployment-logic.ts) drive it. */
export class Planner {
  readonly actions: DeploymentAction[] = [];
  readonly events: PlannedEvent[] = [];
  requeueAfterMs: number | undefined;
  newRS: ReplicaSet | undefined;
  old: ReplicaSet[];
  private createdNew = false;

  constructor(
    readonly d: Deployment,
    owned: ReplicaSet[],
    readonly pods: Pod[],
    readonly now: number,
  ) {
    this.newRS = findNewReplicaSet(d, owned);
    this.old = byCreation(owned.filter((rs) => rs !== this.newRS));
  }

  get all(): ReplicaSet[] {
    return this.newRS ? [this.newRS, ...this.old] : this.old;
  }

  /** getAllReplicaSetsAndSyncRevision: bump the new ReplicaSet's revision, or create it. */
  syncRevision(create: boolean, newReplicas: () => number): void {
    const d = this.d;
    const maxOld = Math.max(0, ...this.old.map(revisionOf));
    const newRevision = maxOld + 1;
    const { maxSurge } = this.fence();
    if (this.newRS) {
      const cur = revisionOf(this.newRS);
      const annotations = replicaSetAnnotations(
        d,
        Math.max(cur, newRevision),
        maxSurge,
        this.newRS.metadata.annotations,
      );
      if (cur < newRevision && cur > 0) {
        const hist = annotations[RevisionHistoryAnnotation];
        annotations[RevisionHistoryAnnotation] = hist ? `${hist},${cur}` : String(cur);
      }
      if (stableJson(annotations) !== stableJson(this.newRS.metadata.annotations ?? {}) && cur < newRevision) {
        this.updateRS(this.newRS, specReplicas(this.newRS), annotations);
      }
    } else if (create) {
      const hash = templateHash(d);
      const tmpl = structuredClone(d.spec.template);
      tmpl.metadata = {
        ...(tmpl.metadata ?? {}),
        labels: { ...(tmpl.metadata?.labels ?? {}), [PodTemplateHashLabel]: hash },
      };
      const replicas = newReplicas();
      const rs: ReplicaSet = {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: {
          name: `${d.metadata.name}-${hash}`,
          namespace: d.metadata.namespace,
          labels: { ...(tmpl.metadata.labels ?? {}) },
          annotations: replicaSetAnnotations(d, newRevision, maxSurge),
          ownerReferences: [newControllerRef(d, 'apps/v1', 'Deployment')],
        },
        spec: {
          replicas,
          minReadySeconds: d.spec.minReadySeconds ?? 0,
          selector: {
            ...d.spec.selector,
            matchLabels: { ...(d.spec.selector.matchLabels ?? {}), [PodTemplateHashLabel]: hash },
          },
          template: tmpl,
        },
        status: { replicas: 0 },
      };
      this.actions.push({ type: 'createReplicaSet', rs });
      this.newRS = rs;
      this.createdNew = true;
      if (replicas > 0)
        this.event('Normal', 'ScalingReplicaSet', `Scaled up replica set ${rs.metadata.name} to ${replicas}`);
    }
    const rev = this.newRS ? String(revisionOf(this.newRS)) : undefined;
    if (rev && d.metadata.annotations?.[RevisionAnnotation] !== rev) {
      this.actions.push({
        type: 'updateDeploymentAnnotations',
        annotations: { ...(d.metadata.annotations ?? {}), [RevisionAnnotation]: rev },
      });
    }
  }

  fence(): { maxSurge: number; maxUnavailable: number } {
    if (this.d.spec.strategy?.type === 'Recreate') return { maxSurge: 0, maxUnavailable: 0 };
    return resolveFenceposts(this.d);
  }

  /** Scales rs (replacing it in new/old with the changed copy) and says so as kube does. */
  updateRS(rs: ReplicaSet, replicas: number, annotations?: Record<string, string>): ReplicaSet {
    const next = structuredClone(rs);
    const before = specReplicas(rs);
    next.spec.replicas = replicas;
    const { maxSurge } = this.fence();
    next.metadata.annotations = annotations ?? {
      ...(rs.metadata.annotations ?? {}),
      [DesiredReplicasAnnotation]: String(replicasOf(this.d)),
      'deployment.kubernetes.io/max-replicas': String(replicasOf(this.d) + maxSurge),
    };
    const pending = this.actions.find(
      (a) =>
        (a.type === 'createReplicaSet' || a.type === 'updateReplicaSet') && a.rs.metadata.name === rs.metadata.name,
    );
    if (pending && (pending.type === 'createReplicaSet' || pending.type === 'updateReplicaSet')) pending.rs = next;
    else this.actions.push({ type: 'updateReplicaSet', rs: next });
    if (this.newRS === rs) this.newRS = next;
    this.old = this.old.map((o) => (o === rs ? next : o));
    if (replicas !== before)
      this.event(
        'Normal',
        'ScalingReplicaSet',
        `Scaled ${replicas > before ? 'up' : 'down'} replica set ${rs.metadata.name} to ${replicas}`,
      );
    return next;
  }

  event(type: PlannedEvent['type'], reason: string, message: string): void {
    this.events.push({ type, reason, message });
  }

  /** deploymentutil.NewRSNewReplicas for RollingUpdate. */
  newRSNewReplicas(): number {
    const want = replicasOf(this.d);
    if (this.d.spec.strategy?.type === 'Recreate') return want;
    const cur = this.newRS ? specReplicas(this.newRS) : 0;
    const { maxSurge } = this.fence();
    const total = sumSpec(this.all);
    const maxTotal = want + maxSurge;
    if (total >= maxTotal) return cur;
    return cur + Math.max(0, Math.min(maxTotal - total, want - cur));
  }

  isComplete(): boolean {
    const want = replicasOf(this.d);
    const s = this.statusOf();
    return (
      s.updatedReplicas === want &&
      s.replicas === want &&
      s.availableReplicas === want &&
      (s.observedGeneration ?? 0) >= (this.d.metadata.generation ?? 0)
    );
  }

  statusOf(): DeploymentStatus {
    const want = replicasOf(this.d);
    const all = this.all;
    const available = sumStatus(all, 'availableReplicas');
    return {
      observedGeneration: this.d.metadata.generation,
      replicas: sumStatus(all, 'replicas'),
      updatedReplicas: this.newRS?.status?.replicas ?? 0,
      readyReplicas: sumStatus(all, 'readyReplicas'),
      availableReplicas: available,
      unavailableReplicas: Math.max(0, want - available),
      ...(this.d.status?.collisionCount !== undefined ? { collisionCount: this.d.status.collisionCount } : {}),
    };
  }

  /** The status with Available and Progressing conditions, written only when something changed. */
  finishStatus(): void {
    const status = this.statusOf();
    const want = replicasOf(this.d);
    const { maxUnavailable } = this.fence();
    const conds = (this.d.status?.conditions ?? []).map((c) => ({ ...c }));
    const t = rfc3339(this.now);
    const setCond = (type: string, st: string, reason: string, message: string, touch = false) => {
      const i = conds.findIndex((c) => c.type === type);
      const cur = conds[i];
      if (cur && cur.status === st && cur.reason === reason && cur.message === message) {
        // Same condition, but the rollout moved: lastUpdateTime restarts the progress deadline.
        if (touch) conds[i] = { ...cur, lastUpdateTime: t };
        return;
      }
      const next = {
        type,
        status: st,
        lastUpdateTime: t,
        lastTransitionTime: cur && cur.status === st ? (cur.lastTransitionTime ?? t) : t,
        reason,
        message,
      };
      if (i >= 0) conds[i] = next;
      else conds.push(next);
    };
    const minAvailable = want - (this.d.spec.strategy?.type === 'Recreate' ? 0 : maxUnavailable);
    if ((status.availableReplicas ?? 0) >= minAvailable)
      setCond('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.');
    else setCond('Available', 'False', 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.');
    const name = this.newRS?.metadata.name;
    if (name && !this.d.spec.paused) {
      const complete = status.updatedReplicas === want && status.replicas === want && status.availableReplicas === want;
      const prev = this.d.status ?? {};
      const moved =
        this.actions.length > 0 ||
        (['replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas'] as const).some(
          (k) => (prev[k] ?? 0) !== (status[k] ?? 0),
        );
      const progressing = conds.find((c) => c.type === 'Progressing');
      const deadlineMs = (this.d.spec.progressDeadlineSeconds ?? 600) * 1000;
      const since = Date.parse(progressing?.lastUpdateTime ?? '') || this.now;
      if (this.createdNew) setCond('Progressing', 'True', 'NewReplicaSetCreated', `Created new replica set "${name}"`);
      else if (complete)
        setCond('Progressing', 'True', 'NewReplicaSetAvailable', `ReplicaSet "${name}" has successfully progressed.`);
      else if (progressing?.reason === 'ProgressDeadlineExceeded' && !moved) {
        // Stays exceeded until the rollout moves again (kubectl rollout status reports it and exits 1).
      } else if (!moved && progressing && since + deadlineMs <= this.now)
        setCond('Progressing', 'False', 'ProgressDeadlineExceeded', `ReplicaSet "${name}" has timed out progressing.`);
      else {
        setCond('Progressing', 'True', 'ReplicaSetUpdated', `ReplicaSet "${name}" is progressing.`, moved);
        this.requeueAfterMs = Math.max(0, (moved ? this.now : since) + deadlineMs - this.now) + 1000;
      }
    }
    if (this.d.spec.paused) setCond('Progressing', 'Unknown', 'DeploymentPaused', 'Deployment is paused');
    // Keep kube's order: Available first, then Progressing.
    conds.sort((a, b) => (a.type === 'Available' ? -1 : b.type === 'Available' ? 1 : 0));
    status.conditions = conds;
    if (!sameStatus(status, this.d.status)) this.actions.push({ type: 'updateStatus', status });
  }

  oldPodsRunning(): boolean {
    const oldUids = new Set(this.old.map((rs) => rs.metadata.uid));
    if (this.old.some((rs) => (rs.status?.replicas ?? 0) > 0)) return true;
    return this.pods.some((p) => {
      const r = controllerRefOf(p);
      return !!r && oldUids.has(r.uid) && p.status?.phase !== 'Failed' && p.status?.phase !== 'Succeeded';
    });
  }

  /** cleanupDeployment: keep revisionHistoryLimit old ReplicaSets that have scaled to zero. */
  cleanup(): void {
    const limit = this.d.spec.revisionHistoryLimit ?? 10;
    const alive = this.old.filter((rs) => !rs.metadata.deletionTimestamp);
    const diff = alive.length - limit;
    if (diff <= 0) return;
    const byRevision = [...alive].sort((a, b) => revisionOf(a) - revisionOf(b));
    let left = diff;
    for (const rs of byRevision) {
      if (left <= 0) break;
      if (
        specReplicas(rs) !== 0 ||
        (rs.status?.replicas ?? 0) !== 0 ||
        (rs.status?.observedGeneration ?? 0) < (rs.metadata.generation ?? 0)
      )
        continue;
      this.actions.push({ type: 'deleteReplicaSet', rs });
      left--;
    }
  }
}

/**
 * DeploymentStatus as kube-apiserver serves it: its counters and observedGeneration are
 * `omitempty`, so a stored 0 comes back absent (collisionCount is a pointer and keeps its 0), and
 * so do a condition's empty strings. Comparing the planned status with the cached one without this
 * saw `replicas: 0` against nothing as a change on every sync (a Deployment without pods, such as
 * one whose ReplicaSet was just orphaned), and each such write brought another sync.
 */
function servedStatus(s: DeploymentStatus | undefined): unknown {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s ?? {})) {
    if (v === undefined || (v === 0 && k !== 'collisionCount')) continue;
    if (k === 'conditions' && Array.isArray(v)) {
      out[k] = (v as Record<string, unknown>[]).map((c) =>
        Object.fromEntries(Object.entries(c).filter(([, x]) => x !== undefined && x !== '')),
      );
      continue;
    }
    out[k] = v;
  }
  return out;
}

/** Whether two statuses are the same once served (kube compares the Go structs, where absent is 0). */
export function sameStatus(a: DeploymentStatus | undefined, b: DeploymentStatus | undefined): boolean {
  return stableJson(servedStatus(a)) === stableJson(servedStatus(b));
}
