// What a DaemonSet must do: one pod on every node that should run it (nodeSelector, node affinity,
// taints it does not tolerate), none elsewhere; pods are pinned to their node with a
// matchFields metadata.name affinity, as kube's DaemonSet controller does, and bound by the
// scheduler. An update replaces pods whose controller-revision-hash is old, maxUnavailable at a time.
import type { DaemonSet, Node, Pod, PodSpec, Toleration } from '../../../common/api-types.js';
import { computeHash } from '../util/hash.js';
import { scaledValue } from '../util/int-or-percent.js';
import { matchesNodeSelectorAndAffinity, untoleratedTaint } from '../util/node-fit.js';
import { isControlledBy, isPodAvailable, isPodReady } from '../util/pods.js';

export const RevisionHashLabel = 'controller-revision-hash';

/** Tolerations every daemon pod gets (util.AddOrUpdateDaemonPodTolerations). */
const DAEMON_TOLERATIONS: Toleration[] = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
];

export function daemonPodSpec(ds: DaemonSet, nodeName: string): PodSpec {
  const spec = structuredClone(ds.spec.template.spec);
  const tolerations = [...(spec.tolerations ?? [])];
  for (const t of DAEMON_TOLERATIONS)
    if (!tolerations.some((x) => x.key === t.key && x.effect === t.effect)) tolerations.push(t);
  spec.tolerations = tolerations;
  // Replace any node affinity's required terms with "this node", keeping the rest of affinity.
  spec.affinity = {
    ...(spec.affinity ?? {}),
    nodeAffinity: {
      ...(spec.affinity?.nodeAffinity ?? {}),
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodeName] }] }],
      },
    },
  };
  return spec;
}

/** The node a daemon pod is for: its nodeName once bound, else its metadata.name affinity. */
export function targetNode(p: Pod): string | undefined {
  if (p.spec.nodeName) return p.spec.nodeName;
  for (const term of p.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ??
    []) {
    for (const f of term.matchFields ?? [])
      if (f.key === 'metadata.name' && f.operator === 'In' && f.values?.length === 1) return f.values[0];
  }
  return undefined;
}

export function shouldRunOn(ds: DaemonSet, node: Node): boolean {
  const spec = daemonPodSpec(ds, node.metadata.name!);
  if (!matchesNodeSelectorAndAffinity({ ...spec, affinity: ds.spec.template.spec.affinity }, node)) return false;
  return !untoleratedTaint(spec, node, ['NoSchedule', 'NoExecute']);
}

export interface DaemonSetPlan {
  /** Nodes that need a pod. */
  create: string[];
  delete: Pod[];
  hash: string;
  status: NonNullable<DaemonSet['status']>;
}

export function planDaemonSet(ds: DaemonSet, nodes: Node[], pods: Pod[], now: number): DaemonSetPlan {
  const hash = computeHash(ds.spec.template);
  const mine = pods.filter((p) => isControlledBy(p, ds));
  const byNode = new Map<string, Pod[]>();
  for (const p of mine) {
    const n = targetNode(p);
    if (!n) continue;
    byNode.set(n, [...(byNode.get(n) ?? []), p]);
  }
  const create: string[] = [];
  const del: Pod[] = [];
  const st = {
    desiredNumberScheduled: 0,
    currentNumberScheduled: 0,
    numberMisscheduled: 0,
    numberReady: 0,
    numberAvailable: 0,
    updatedNumberScheduled: 0,
    numberUnavailable: 0,
    observedGeneration: ds.metadata.generation,
  };
  const minReady = (ds.spec as { minReadySeconds?: number }).minReadySeconds ?? 0;
  const oldPods: Pod[] = [];
  const nodeNames = new Set(nodes.map((n) => n.metadata.name!));
  for (const node of nodes) {
    const name = node.metadata.name!;
    const live = (byNode.get(name) ?? []).filter((p) => !p.metadata.deletionTimestamp);
    const run = shouldRunOn(ds, node);
    if (run) {
      st.desiredNumberScheduled++;
      // A failed daemon pod is deleted; its replacement comes on the next sync.
      const failed = live.filter((p) => p.status?.phase === 'Failed');
      del.push(...failed);
      const ok = live.filter((p) => p.status?.phase !== 'Failed');
      if (ok.length === 0 && failed.length === 0 && (byNode.get(name) ?? []).length === 0) create.push(name);
      if (ok.length > 1) {
        const sorted = [...ok].sort(
          (a, b) =>
            (Date.parse(a.metadata.creationTimestamp ?? '') || 0) -
            (Date.parse(b.metadata.creationTimestamp ?? '') || 0),
        );
        del.push(...sorted.slice(1));
      }
      const pod = ok[0];
      if (pod) {
        st.currentNumberScheduled++;
        if (isPodReady(pod)) st.numberReady++;
        if (isPodAvailable(pod, minReady, now)) st.numberAvailable++;
        if (pod.metadata.labels?.[RevisionHashLabel] === hash) st.updatedNumberScheduled++;
        else oldPods.push(pod);
      }
    } else if (live.length > 0) {
      st.numberMisscheduled++;
      del.push(...live);
    }
  }
  // Pods for nodes that no longer exist.
  for (const [n, ps] of byNode) if (!nodeNames.has(n)) del.push(...ps.filter((p) => !p.metadata.deletionTimestamp));
  st.numberUnavailable = st.desiredNumberScheduled - st.numberAvailable;
  if (ds.spec.updateStrategy?.type !== 'OnDelete' && oldPods.length > 0) {
    const maxUnavailable = scaledValue(
      ds.spec.updateStrategy?.rollingUpdate?.maxUnavailable,
      st.desiredNumberScheduled,
      true,
      'spec.updateStrategy.rollingUpdate.maxUnavailable',
      1,
    );
    // Unavailable old pods go first (it costs nothing); then available ones within the budget.
    const unavailableOld = oldPods.filter((p) => !isPodAvailable(p, minReady, now));
    del.push(...unavailableOld);
    let budget = maxUnavailable - (st.numberUnavailable + create.length);
    for (const p of oldPods) {
      if (budget <= 0) break;
      if (unavailableOld.includes(p)) continue;
      del.push(p);
      budget--;
    }
  }
  return { create, delete: [...new Set(del)], hash, status: st as DaemonSetPlan['status'] };
}
