// The HPA's arithmetic (pkg/controller/podautoscaler/replica_calculator.go and horizontal.go): the
// replica count one Resource metric asks for, with the 10% tolerance and kube's treatment of
// unready pods and pods without metrics, then the min/max clamp and the behavior's stabilization
// windows and scaling policies.
import type { HorizontalPodAutoscaler, HpaScalingRules, Pod } from '../../../common/api-types.js';
import { milliOf } from '../../../common/resource-quantity.js';
import { isPodReady } from '../util/pods.js';

export const TOLERANCE = 0.1;
/** --horizontal-pod-autoscaler-cpu-initialization-period: a pod this young may be unready. */
const CPU_INIT_PERIOD_MS = 5 * 60_000;
/** --horizontal-pod-autoscaler-initial-readiness-delay. */
const INITIAL_READINESS_DELAY_MS = 30_000;

export class MetricError extends Error {}

export interface ResourceReplicas {
  replicas: number;
  /** Average utilization in percent of the request (Utilization targets). */
  utilization?: number;
  /** Average usage per pod, milli-units. */
  averageMilli: bigint;
}

/** Usage of one resource per pod name (milli-units), from metrics.k8s.io PodMetrics. */
export type PodUsage = Map<string, bigint>;

function requestOf(pod: Pod, resource: string, container?: string): bigint {
  let sum = 0n;
  for (const c of pod.spec.containers ?? []) {
    if (container && c.name !== container) continue;
    const r = (c.resources?.requests as Record<string, string> | undefined)?.[resource];
    if (r === undefined)
      throw new MetricError(`missing request for ${resource} in container ${c.name} of Pod ${pod.metadata.name}`);
    sum += milliOf(r);
  }
  return sum;
}

/** GetResourceReplicas / GetRawResourceReplicas for one Resource metric. */
export function resourceReplicas(
  current: number,
  pods: Pod[],
  usage: PodUsage,
  resource: string,
  target: { utilization?: number; averageMilli?: bigint },
  now: number,
): ResourceReplicas {
  if (!pods.length) throw new MetricError('no pods returned by selector while calculating replica count');
  const ready: Pod[] = [];
  const unready: Pod[] = [];
  const missing: Pod[] = [];
  for (const p of pods) {
    if (p.metadata.deletionTimestamp || p.status?.phase === 'Failed') continue;
    if (!usage.has(p.metadata.name!)) {
      missing.push(p);
      continue;
    }
    if (resource === 'cpu' && !isPodReady(p)) {
      const start = Date.parse(p.status?.startTime ?? '') || 0;
      const readyCond = (p.status?.conditions ?? []).find((c) => c.type === 'Ready');
      const lastChange = Date.parse(readyCond?.lastTransitionTime ?? '') || 0;
      // Unready within its initialization period (or never ready): its CPU is not trusted.
      if (start + CPU_INIT_PERIOD_MS > now || lastChange < start + INITIAL_READINESS_DELAY_MS) {
        unready.push(p);
        continue;
      }
    }
    if (resource === 'cpu' && p.status?.phase === 'Pending') {
      unready.push(p);
      continue;
    }
    ready.push(p);
  }
  if (!ready.length) throw new MetricError(`did not receive metrics for targeted pods (pods might be unready)`);
  let used = 0n;
  for (const p of ready) used += usage.get(p.metadata.name!)!;
  const utilizationTarget = target.utilization !== undefined;
  // Every pod must declare the request a utilization is measured against (kube refuses otherwise).
  if (utilizationTarget) for (const p of [...ready, ...unready, ...missing]) requestOf(p, resource);
  const readyRequests = utilizationTarget ? ready.reduce((s, p) => s + requestOf(p, resource), 0n) : 0n;
  const ratioOf = (u: bigint, n: number, req: bigint) =>
    utilizationTarget
      ? Number(u * 100n) / Number(req || 1n) / target.utilization!
      : Number(u) / n / Number(target.averageMilli || 1n);
  const averageMilli = used / BigInt(ready.length);
  const utilization = utilizationTarget ? Math.floor(Number(used * 100n) / Number(readyRequests || 1n)) : undefined;
  let ratio = ratioOf(used, ready.length, readyRequests);
  const out = (replicas: number): ResourceReplicas => ({ replicas, utilization, averageMilli });
  const rebalance = missing.length > 0 || (ratio > 1 && unready.length > 0);
  if (!rebalance) {
    if (Math.abs(1 - ratio) <= TOLERANCE) return out(current);
    return out(Math.ceil(ratio * ready.length));
  }
  // Missing pods are assumed to use all of their request when scaling down, none when scaling
  // up; unready pods count as using nothing when scaling up.
  let u = used;
  let req = readyRequests;
  let n = ready.length;
  for (const p of missing) {
    const r = utilizationTarget ? requestOf(p, resource) : (target.averageMilli ?? 0n);
    if (ratio < 1) u += r;
    if (utilizationTarget) req += r;
    n++;
  }
  if (ratio > 1)
    for (const p of unready) {
      if (utilizationTarget) req += requestOf(p, resource);
      n++;
    }
  const newRatio = ratioOf(u, n, req);
  if (Math.abs(1 - newRatio) <= TOLERANCE || (ratio < 1 && newRatio > 1) || (ratio > 1 && newRatio < 1))
    return out(current);
  ratio = newRatio;
  const replicas = Math.ceil(ratio * n);
  // Never move against the direction the ready pods asked for.
  if ((ratio < 1 && replicas > current) || (ratio > 1 && replicas < current)) return out(current);
  return out(replicas);
}

export interface Recommendation {
  at: number;
  replicas: number;
}

const DEFAULT_UP: Required<HpaScalingRules> = {
  stabilizationWindowSeconds: 0,
  selectPolicy: 'Max',
  policies: [
    { type: 'Pods', value: 4, periodSeconds: 15 },
    { type: 'Percent', value: 100, periodSeconds: 15 },
  ],
};
const DEFAULT_DOWN: Required<HpaScalingRules> = {
  stabilizationWindowSeconds: 300,
  selectPolicy: 'Max',
  policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
};

/** Stabilization (over `history`, which this updates) then the policies' step limits. */
export function normalizeWithBehavior(
  hpa: HorizontalPodAutoscaler,
  current: number,
  proposed: number,
  history: Recommendation[],
  now: number,
): { replicas: number; reason: string; message: string } {
  const up = { ...DEFAULT_UP, ...(hpa.spec.behavior?.scaleUp ?? {}) };
  const down = { ...DEFAULT_DOWN, ...(hpa.spec.behavior?.scaleDown ?? {}) };
  history.push({ at: now, replicas: proposed });
  const keepMs = Math.max(up.stabilizationWindowSeconds, down.stabilizationWindowSeconds) * 1000;
  while (history.length && history[0]!.at < now - keepMs) history.shift();
  let upRec = proposed;
  let downRec = proposed;
  for (const r of history) {
    if (r.at >= now - up.stabilizationWindowSeconds * 1000) upRec = Math.min(upRec, r.replicas);
    if (r.at >= now - down.stabilizationWindowSeconds * 1000) downRec = Math.max(downRec, r.replicas);
  }
  let replicas = current;
  if (current < upRec) replicas = upRec;
  else if (current > downRec) replicas = downRec;
  let reason = 'ScaleDownStabilized';
  let message = 'recent recommendations were higher than current one, applying the highest recent recommendation';
  if (replicas > current) {
    if (up.selectPolicy === 'Disabled')
      return { replicas: current, reason: 'ScalingDisabled', message: 'scaling is disabled' };
    const limits = up.policies.map((p) =>
      p.type === 'Pods' ? current + p.value : Math.ceil(current * (1 + p.value / 100)),
    );
    const limit = up.selectPolicy === 'Min' ? Math.min(...limits) : Math.max(...limits);
    if (replicas > limit) {
      replicas = limit;
      reason = 'ScaleUpLimit';
      message = 'the desired replica count is increasing faster than the maximum scale rate';
    } else [reason, message] = ['SucceededRescale', 'the HPA controller was able to update the target scale'];
  } else if (replicas < current) {
    if (down.selectPolicy === 'Disabled')
      return { replicas: current, reason: 'ScalingDisabled', message: 'scaling is disabled' };
    const limits = down.policies.map((p) =>
      p.type === 'Pods' ? current - p.value : Math.floor(current * (1 - p.value / 100)),
    );
    const limit = down.selectPolicy === 'Min' ? Math.max(...limits) : Math.min(...limits);
    if (replicas < limit) {
      replicas = limit;
      reason = 'ScaleDownLimit';
      message = 'the desired replica count is decreasing faster than the maximum scale rate';
    } else [reason, message] = ['SucceededRescale', 'the HPA controller was able to update the target scale'];
  } else if (proposed >= current) [reason, message] = ['ReadyForNewScale', 'recommended size matches current size'];
  return { replicas, reason, message };
}
