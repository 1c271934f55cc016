// Would this node take this pod, by the node's own facts (the checks the DaemonSet controller makes
// before it creates a daemon pod there): taints the pod does not tolerate, nodeSelector, node affinity.
import type { Node, NodeSelectorRequirement, PodSpec, Taint, Toleration } from '../../../common/api-types.js';

export function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.operator === 'Exists') return !t.key || t.key === taint.key;
  return t.key === taint.key && (t.value ?? '') === (taint.value ?? '');
}

export function untoleratedTaint(spec: PodSpec, node: Node, effects: Taint['effect'][]): Taint | undefined {
  return (node.spec?.taints ?? []).find(
    (taint) => effects.includes(taint.effect) && !(spec.tolerations ?? []).some((t) => tolerates(t, taint)),
  );
}

function requirementHolds(r: NodeSelectorRequirement, value: string | undefined): boolean {
  const vals = r.values ?? [];
  switch (r.operator) {
    case 'In':
      return value !== undefined && vals.includes(value);
    case 'NotIn':
      return value === undefined || !vals.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
      return value !== undefined && Number(value) > Number(vals[0]);
    case 'Lt':
      return value !== undefined && Number(value) < Number(vals[0]);
  }
  return false;
}

export function matchesNodeSelectorAndAffinity(spec: PodSpec, node: Node): boolean {
  const labels = node.metadata.labels ?? {};
  for (const [k, v] of Object.entries(spec.nodeSelector ?? {})) if (labels[k] !== v) return false;
  const terms = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (!terms || terms.length === 0) return true;
  return terms.some(
    (term) =>
      (term.matchExpressions ?? []).every((r) => requirementHolds(r, labels[r.key])) &&
      (term.matchFields ?? []).every((r) =>
        requirementHolds(r, r.key === 'metadata.name' ? node.metadata.name : undefined),
      ),
  );
}
