// What the scheduler decided for one pod and why, per node, in a form the UI can show: which filter
// turned a node down (and its message), or what each score plugin gave it. Also the FailedScheduling
// message, built exactly as kube-scheduler's FitError and DefaultPreemption build theirs.
import type { Code } from './framework.js';

export interface NodeVerdict {
  node: string;
  /** The filter plugin that turned the node down (filters stop at the first rejection). */
  rejectedBy?: string;
  code?: Code;
  reasons?: string[];
  /** Normalised 0–100 score per score plugin (before weights), for feasible nodes. */
  scores?: Record<string, number>;
  /** Σ weight × score. */
  total?: number;
}

export interface SchedulingDecision {
  pod: string;
  uid?: string;
  /** Clock time of the decision (ms). */
  at: number;
  /** The chosen node, or undefined when the pod fits nowhere. */
  selected?: string;
  totalNodes: number;
  /** Nodes run through the filters (kube-scheduler stops once it has enough feasible ones). */
  evaluated: number;
  feasible: number;
  /** A PreFilter that turned down every node at once. */
  preFilter?: { plugin: string; code: Code; reasons: string[] };
  nodes: NodeVerdict[];
  /** For an unschedulable pod: the FailedScheduling message. */
  message?: string;
  /** Score plugin weights used, so totals can be explained. */
  weights: Record<string, number>;
  /** How many nodes shared the best total (ties are broken at random). */
  tiedBest?: number;
}

function histogram(reasons: string[]): string {
  const counts = new Map<string, number>();
  for (const r of reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  // Go's sort.Strings over "count reason": a byte-wise sort of the formatted strings.
  const parts = [...counts].map(([r, n]) => `${n} ${r}`);
  parts.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return parts.join(', ');
}

/**
 * `0/6 nodes are available: 3 Insufficient cpu, 3 node(s) had untolerated taint {k: v}. preemption: 0/6
 * nodes are available: 3 No preemption victims found for incoming pod, 3 Preemption is not helpful for scheduling.`
 * `preemptionVerdict(node)` says what DefaultPreemption would report for a node it may consider.
 */
export function fitErrorMessage(d: SchedulingDecision, preemptionVerdict: (node: string) => string): string {
  const n = d.totalNodes;
  let msg = `0/${n} nodes are available:`;
  if (d.preFilter) {
    msg += ` ${d.preFilter.reasons.join(', ')}.`;
  } else {
    const reasons = d.nodes.flatMap((v) => v.reasons ?? []);
    if (reasons.length) msg += ` ${histogram(reasons)}.`;
  }
  const post: string[] = [];
  if (d.preFilter) {
    for (let i = 0; i < n; i++) post.push('Preemption is not helpful for scheduling');
  } else {
    for (const v of d.nodes)
      post.push(v.code === 'Unschedulable' ? preemptionVerdict(v.node) : 'Preemption is not helpful for scheduling');
  }
  if (post.length) msg += ` preemption: 0/${n} nodes are available: ${histogram(post)}.`;
  return msg;
}
