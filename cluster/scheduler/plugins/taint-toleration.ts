// TaintToleration: NoSchedule/NoExecute taints the pod does not tolerate rule the node out; each
// untolerated PreferNoSchedule taint lowers the node's score.
import type { Taint } from '../../../common/api-types.js';
import type { FilterPlugin, ScorePlugin } from '../framework.js';
import { defaultNormalize, reject } from '../framework.js';
import { tolerates, toleratesAll } from './helpers.js';

export function untoleratedTaintReason(t: Taint): string {
  return `node(s) had untolerated taint {${t.key}: ${t.value ?? ''}}`;
}

export const TaintTolerationFilter: FilterPlugin = {
  name: 'TaintToleration',
  filter(_s, pod, node) {
    for (const taint of node.node.spec?.taints ?? []) {
      if (taint.effect !== 'NoSchedule' && taint.effect !== 'NoExecute') continue;
      if (!toleratesAll(pod.pod.spec.tolerations, taint))
        return reject('UnschedulableAndUnresolvable', untoleratedTaintReason(taint));
    }
    return undefined;
  },
};

export const TaintTolerationScore: ScorePlugin = {
  name: 'TaintToleration',
  score(_s, pod, node) {
    // Only tolerations that could apply to PreferNoSchedule count, as in the real plugin.
    const tols = (pod.pod.spec.tolerations ?? []).filter((t) => !t.effect || t.effect === 'PreferNoSchedule');
    let n = 0;
    for (const taint of node.node.spec?.taints ?? []) {
      if (taint.effect === 'PreferNoSchedule' && !tols.some((t) => tolerates(t, taint))) n++;
    }
    return n;
  },
  normalize(_s, _p, scores) {
    defaultNormalize(scores, true);
  },
};
