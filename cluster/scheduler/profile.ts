// The default scheduling profile: kube-scheduler's default plugins in its order, with its default
// score weights (TaintToleration 3; NodeAffinity, InterPodAffinity, PodTopologySpread 2; the rest 1).
import type { FilterPlugin, WeightedScorePlugin } from './framework.js';
import { InterPodAffinityFilter, InterPodAffinityScore } from './plugins/inter-pod-affinity.js';
import { NodeAffinityFilter, NodeAffinityScore } from './plugins/node-affinity.js';
import { NodeName } from './plugins/node-name.js';
import { NodePorts } from './plugins/node-ports.js';
import { BalancedAllocation, LeastAllocated, NodeResourcesFit } from './plugins/node-resources-fit.js';
import { NodeUnschedulable } from './plugins/node-unschedulable.js';
import { PodTopologySpreadFilter, PodTopologySpreadScore } from './plugins/pod-topology-spread.js';
import { TaintTolerationFilter, TaintTolerationScore } from './plugins/taint-toleration.js';
import { VolumeBinding } from './plugins/volume-binding.js';

export interface Profile {
  schedulerName: string;
  filters: FilterPlugin[];
  scores: WeightedScorePlugin[];
  /** 0: kube-scheduler's adaptive percentage (50% − nodes/125, at least 5%, at least 100 nodes). */
  percentageOfNodesToScore: number;
}

export function defaultProfile(): Profile {
  return {
    schedulerName: 'default-scheduler',
    filters: [
      NodeUnschedulable,
      NodeName,
      TaintTolerationFilter,
      NodeAffinityFilter,
      NodePorts,
      NodeResourcesFit,
      VolumeBinding,
      PodTopologySpreadFilter,
      InterPodAffinityFilter,
    ],
    scores: [
      { plugin: TaintTolerationScore, weight: 3 },
      { plugin: NodeAffinityScore, weight: 2 },
      { plugin: PodTopologySpreadScore, weight: 2 },
      { plugin: InterPodAffinityScore, weight: 2 },
      { plugin: LeastAllocated, weight: 1 },
      { plugin: BalancedAllocation, weight: 1 },
    ],
    percentageOfNodesToScore: 0,
  };
}
