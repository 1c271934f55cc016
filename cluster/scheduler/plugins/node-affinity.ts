// NodeAffinity: nodeSelector and required node affinity must hold; preferred terms add their
// weights to the score.
import type { FilterPlugin, ScorePlugin } from '../framework.js';
import { defaultNormalize, reject } from '../framework.js';
import { podMatchesNodeSelectorAndAffinity, termMatchesNode } from './helpers.js';

export const ErrReasonPod = "node(s) didn't match Pod's node affinity/selector";

export const NodeAffinityFilter: FilterPlugin = {
  name: 'NodeAffinity',
  preFilter(_s, pod) {
    const s = pod.pod.spec;
    const has =
      (s.nodeSelector && Object.keys(s.nodeSelector).length > 0) ||
      s.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
    return has ? undefined : 'skip';
  },
  filter(_s, pod, node) {
    return podMatchesNodeSelectorAndAffinity(pod.pod, node.node)
      ? undefined
      : reject('UnschedulableAndUnresolvable', ErrReasonPod);
  },
};

export const NodeAffinityScore: ScorePlugin = {
  name: 'NodeAffinity',
  preScore(_s, pod) {
    return pod.pod.spec.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.length
      ? undefined
      : 'skip';
  },
  score(_s, pod, node) {
    let sum = 0;
    for (const t of pod.pod.spec.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []) {
      if (t.weight !== 0 && termMatchesNode(t.preference, node.node)) sum += t.weight;
    }
    return sum;
  },
  normalize(_s, _p, scores) {
    defaultNormalize(scores, false);
  },
};
