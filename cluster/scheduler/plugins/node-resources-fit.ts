// NodeResourcesFit: the pod's requests must fit in allocatable minus what pods already on the node
// (bound or assumed) request; the LeastAllocated score favours the emptier node. BalancedAllocation
// favours nodes whose CPU and memory would be used in equal proportion.
import type { FilterPlugin, ScorePlugin } from '../framework.js';
import { MAX_NODE_SCORE, reject } from '../framework.js';
import type { NodeInfo, PodInfo } from '../node-info.js';

export const NodeResourcesFit: FilterPlugin = {
  name: 'NodeResourcesFit',
  filter(_s, pod, node) {
    const reasons: string[] = [];
    if (node.pods.size + 1 > node.allowedPodNumber) reasons.push('Too many pods');
    const r = pod.req.requests;
    const a = node.allocatable;
    const used = node.requested;
    if (r.milliCPU > 0 && r.milliCPU > a.milliCPU - used.milliCPU) reasons.push('Insufficient cpu');
    if (r.memory > 0 && r.memory > a.memory - used.memory) reasons.push('Insufficient memory');
    if (r.ephemeralStorage > 0 && r.ephemeralStorage > a.ephemeralStorage - used.ephemeralStorage)
      reasons.push('Insufficient ephemeral-storage');
    for (const [name, v] of Object.entries(r.scalar)) {
      if (v > 0 && v > (a.scalar[name] ?? 0) - (used.scalar[name] ?? 0)) reasons.push(`Insufficient ${name}`);
    }
    return reasons.length ? reject('Unschedulable', ...reasons) : undefined;
  },
};

function leastRequested(requested: number, capacity: number): number {
  if (capacity === 0 || requested > capacity) return 0;
  return Math.trunc(((capacity - requested) * MAX_NODE_SCORE) / capacity);
}

/** NodeResourcesFit's score with the default LeastAllocated strategy (cpu and memory, weight 1 each). */
export const LeastAllocated: ScorePlugin = {
  name: 'NodeResourcesFit',
  score(_s, pod: PodInfo, node: NodeInfo) {
    const cpu = leastRequested(node.nonZeroMilliCPU + pod.req.nonZeroMilliCPU, node.allocatable.milliCPU);
    const mem = leastRequested(node.nonZeroMemory + pod.req.nonZeroMemory, node.allocatable.memory);
    return Math.trunc((cpu + mem) / 2);
  },
};

export const BalancedAllocation: ScorePlugin = {
  name: 'NodeResourcesBalancedAllocation',
  score(_s, pod: PodInfo, node: NodeInfo) {
    const a = node.allocatable;
    if (a.milliCPU === 0 || a.memory === 0) return 0;
    const fc = Math.min(1, (node.nonZeroMilliCPU + pod.req.nonZeroMilliCPU) / a.milliCPU);
    const fm = Math.min(1, (node.nonZeroMemory + pod.req.nonZeroMemory) / a.memory);
    // With two resources the standard deviation is half their difference.
    const std = Math.abs(fc - fm) / 2;
    return Math.trunc((1 - std) * MAX_NODE_SCORE);
  },
};
