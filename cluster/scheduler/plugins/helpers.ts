// Matching rules shared by several plugins: tolerations against taints, node selector terms
// against a node, pod affinity terms against a pod (component-helpers/scheduling/corev1 in Go).
import type {
  Node,
  NodeSelector,
  NodeSelectorRequirement,
  NodeSelectorTerm,
  Pod,
  PodAffinityTerm,
  Taint,
  Toleration,
} from '../../../common/api-types.js';
import { matchesSelector } from '../../controllers/util/labels.js';
import type { ClusterLister } from '../framework.js';

export function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  if (!t.key && t.operator !== 'Exists') return false;
  if (t.operator === 'Exists') return true;
  return (t.value ?? '') === (taint.value ?? '');
}

export function toleratesAll(tolerations: Toleration[] | undefined, taint: Taint): boolean {
  return (tolerations ?? []).some((t) => tolerates(t, taint));
}

function requirementMatches(r: NodeSelectorRequirement, value: string | undefined): boolean {
  const has = value !== undefined;
  switch (r.operator) {
    case 'In':
      return has && (r.values ?? []).includes(value);
    case 'NotIn':
      return !has || !(r.values ?? []).includes(value);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Gt':
    case 'Lt': {
      if (!has || (r.values ?? []).length !== 1) return false;
      const a = Number.parseInt(value, 10);
      const b = Number.parseInt(r.values![0]!, 10);
      if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
      return r.operator === 'Gt' ? a > b : a < b;
    }
    default:
      return false;
  }
}

/** One term: every expression and field requirement holds; an empty term matches nothing. */
export function termMatchesNode(term: NodeSelectorTerm, node: Node): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  const labels = node.metadata.labels ?? {};
  for (const r of exprs) if (!requirementMatches(r, labels[r.key])) return false;
  for (const r of fields) {
    const v = r.key === 'metadata.name' ? node.metadata.name : undefined;
    if (!requirementMatches(r, v)) return false;
  }
  return true;
}

/** Terms are ORed. */
export function nodeSelectorMatches(sel: NodeSelector, node: Node): boolean {
  return sel.nodeSelectorTerms.some((t) => termMatchesNode(t, node));
}

/** nodeSelector map and required node affinity both hold (what NodeAffinity's Filter checks). */
export function podMatchesNodeSelectorAndAffinity(pod: Pod, node: Node): boolean {
  const labels = node.metadata.labels ?? {};
  for (const [k, v] of Object.entries(pod.spec.nodeSelector ?? {})) if (labels[k] !== v) return false;
  const req = pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  return !req || nodeSelectorMatches(req, node);
}

/**
 * Does `target` match an affinity term written on `owner`? Namespaces: the term's list and
 * namespaceSelector, or the owner's own namespace when neither is given.
 */
export function affinityTermMatches(term: PodAffinityTerm, owner: Pod, target: Pod, cluster: ClusterLister): boolean {
  const ns = target.metadata.namespace ?? 'default';
  const listed = term.namespaces ?? [];
  if (listed.length === 0 && !term.namespaceSelector) {
    if (ns !== (owner.metadata.namespace ?? 'default')) return false;
  } else if (!listed.includes(ns)) {
    const sel = term.namespaceSelector;
    if (!sel) return false;
    const empty = !sel.matchLabels && !sel.matchExpressions;
    if (!empty && !matchesSelector(sel, cluster.namespace(ns)?.metadata.labels)) return false;
  }
  return matchesSelector(term.labelSelector, target.metadata.labels);
}
