// The node lifecycle controller's judgement (kube's nodelifecycle + taint-eviction controllers):
// a node whose kubelet has not renewed its kube-node-lease Lease nor posted status for the grace
// period gets every condition set to Unknown ("Kubelet stopped posting node status."); Ready False
// or Unknown put the not-ready / unreachable NoSchedule and NoExecute taints on it; a NoExecute taint
// evicts the node's pods that do not tolerate it, at once or after their tolerationSeconds.
import type { Lease, Node, NodeCondition, Pod, Taint } from '../../../common/api-types.js';
import { tolerates } from '../util/node-fit.js';
import { rfc3339 } from '../util/pods.js';

export const NotReadyTaintKey = 'node.kubernetes.io/not-ready';
export const UnreachableTaintKey = 'node.kubernetes.io/unreachable';
export const UnschedulableTaintKey = 'node.kubernetes.io/unschedulable';
const MANAGED = new Set([NotReadyTaintKey, UnreachableTaintKey, UnschedulableTaintKey]);
const CONDITIONS = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'];

export interface NodeHealthSettings {
  /** --node-monitor-grace-period (kube: 40 s). */
  gracePeriodMs: number;
}

export function lastHeartbeat(node: Node, lease: Lease | undefined): number {
  const times = [
    Date.parse(lease?.spec.renewTime ?? ''),
    Date.parse(node.status?.conditions?.find((c) => c.type === 'Ready')?.lastHeartbeatTime ?? ''),
    Date.parse(node.metadata.creationTimestamp ?? ''),
  ].filter((t) => Number.isFinite(t));
  return times.length ? Math.max(...times) : 0;
}

export interface NodeHealthPlan {
  /** New conditions when the node went silent (undefined: leave them). */
  conditions?: NodeCondition[];
  /** The node's taints after the change (undefined: no change). */
  taints?: Taint[];
  event?: { reason: string; message: string };
  readyStatus: string;
}

export function planNodeHealth(
  node: Node,
  lease: Lease | undefined,
  now: number,
  s: NodeHealthSettings,
): NodeHealthPlan {
  const conds = node.status?.conditions ?? [];
  const ready = conds.find((c) => c.type === 'Ready');
  let status = ready?.status ?? 'Unknown';
  const out: NodeHealthPlan = { readyStatus: status };
  const silent = now - lastHeartbeat(node, lease) > s.gracePeriodMs;
  if (
    silent &&
    (status !== 'Unknown' || !ready || conds.some((c) => CONDITIONS.includes(c.type) && c.status !== 'Unknown'))
  ) {
    const ts = rfc3339(now);
    const next = conds.map((c) => ({ ...c }));
    for (const type of CONDITIONS) {
      const c = next.find((x) => x.type === type);
      const reason = 'NodeStatusUnknown';
      const message = 'Kubelet stopped posting node status.';
      if (!c)
        next.push({
          type,
          status: 'Unknown',
          reason,
          message: type === 'Ready' ? message : 'Kubelet never posted node status.',
          lastHeartbeatTime: ts,
          lastTransitionTime: ts,
        });
      else if (c.status !== 'Unknown') Object.assign(c, { status: 'Unknown', reason, message, lastTransitionTime: ts });
    }
    out.conditions = next;
    if (status !== 'Unknown')
      out.event = { reason: 'NodeNotReady', message: `Node ${node.metadata.name} status is now: NodeNotReady` };
    status = 'Unknown';
    out.readyStatus = status;
  }
  const want: Taint[] = [];
  const ts = rfc3339(now);
  if (status === 'False')
    want.push({ key: NotReadyTaintKey, effect: 'NoSchedule' }, { key: NotReadyTaintKey, effect: 'NoExecute' });
  if (status === 'Unknown')
    want.push({ key: UnreachableTaintKey, effect: 'NoSchedule' }, { key: UnreachableTaintKey, effect: 'NoExecute' });
  if (node.spec?.unschedulable) want.push({ key: UnschedulableTaintKey, effect: 'NoSchedule' });
  const current = node.spec?.taints ?? [];
  const kept = current.filter((t) => !MANAGED.has(t.key) || want.some((w) => w.key === t.key && w.effect === t.effect));
  const added = want
    .filter((w) => !current.some((t) => t.key === w.key && t.effect === w.effect))
    .map((w) => ({ ...w, timeAdded: ts }));
  if (added.length || kept.length !== current.length) out.taints = [...kept, ...added];
  return out;
}

export interface EvictionDecision {
  /** Pods to evict now. */
  evict: Pod[];
  /** When to look again for pods whose tolerationSeconds run out later (ms from now). */
  recheckAfterMs?: number;
}

/** The taint eviction controller: for the node's NoExecute taints, which pods must go and when. */
export function planEvictions(taints: Taint[], pods: Pod[], now: number): EvictionDecision {
  const noExecute = taints.filter((t) => t.effect === 'NoExecute');
  const evict: Pod[] = [];
  let recheck: number | undefined;
  if (noExecute.length === 0) return { evict };
  for (const p of pods) {
    if (p.metadata.deletionTimestamp) continue;
    let deadline = Infinity;
    let tolerated = true;
    for (const taint of noExecute) {
      const matching = (p.spec.tolerations ?? []).filter((t) => tolerates(t, taint));
      if (matching.length === 0) {
        tolerated = false;
        break;
      }
      const secs = matching.map((t) => t.tolerationSeconds).filter((x): x is number => x !== undefined);
      if (secs.length) {
        const added = Date.parse(taint.timeAdded ?? '') || now;
        deadline = Math.min(deadline, added + Math.max(0, Math.min(...secs)) * 1000);
      }
    }
    if (!tolerated || deadline <= now) evict.push(p);
    else if (deadline !== Infinity) recheck = Math.min(recheck ?? Infinity, deadline - now);
  }
  return { evict, ...(recheck !== undefined ? { recheckAfterMs: recheck } : {}) };
}
