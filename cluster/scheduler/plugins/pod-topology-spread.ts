// PodTopologySpread: with whenUnsatisfiable=DoNotSchedule, placing the pod must keep the number of
// matching pods per topology domain within maxSkew of the emptiest domain; ScheduleAnyway
// constraints only score, favouring domains with fewer matching pods.
import type { Pod, TopologySpreadConstraint } from '../../../common/api-types.js';
import { matchesSelector } from '../../controllers/util/labels.js';
import type { FilterPlugin, ScorePlugin } from '../framework.js';
import { MAX_NODE_SCORE, reject } from '../framework.js';
import type { NodeInfo } from '../node-info.js';
import { podMatchesNodeSelectorAndAffinity } from './helpers.js';

export const ErrReasonConstraintsNotMatch = "node(s) didn't match pod topology spread constraints";
export const ErrReasonNodeLabelNotMatch = ErrReasonConstraintsNotMatch + ' (missing required label)';

interface Counted {
  constraint: TopologySpreadConstraint;
  /** topology value → matching pods in that domain. */
  counts: Map<string, number>;
  min: number;
  selfMatch: number;
}

function countConstraints(pod: Pod, constraints: TopologySpreadConstraint[], nodes: NodeInfo[]): Counted[] {
  const ns = pod.metadata.namespace ?? 'default';
  const out: Counted[] = constraints.map((c) => ({
    constraint: c,
    counts: new Map(),
    min: 0,
    selfMatch: matchesSelector(c.labelSelector, pod.metadata.labels) ? 1 : 0,
  }));
  for (const n of nodes) {
    const labels = n.labels();
    // Only nodes the pod could go to by its node selector/affinity, carrying every key, are domains.
    if (!constraints.every((c) => labels[c.topologyKey] !== undefined)) continue;
    if (!podMatchesNodeSelectorAndAffinity(pod, n.node)) continue;
    for (const k of out) {
      const v = labels[k.constraint.topologyKey]!;
      let cnt = k.counts.get(v) ?? 0;
      for (const e of n.pods.values()) {
        const p = e.pod;
        if ((p.metadata.namespace ?? 'default') !== ns || p.metadata.deletionTimestamp) continue;
        if (matchesSelector(k.constraint.labelSelector, p.metadata.labels)) cnt++;
      }
      k.counts.set(v, cnt);
    }
  }
  for (const k of out) {
    const values = [...k.counts.values()];
    k.min = values.length ? Math.min(...values) : 0;
    if (k.constraint.minDomains && k.counts.size < k.constraint.minDomains) k.min = 0;
  }
  return out;
}

const FILTER_STATE = 'PreFilterPodTopologySpread';
const SCORE_STATE = 'PreScorePodTopologySpread';

export const PodTopologySpreadFilter: FilterPlugin = {
  name: 'PodTopologySpread',
  preFilter(state, pi, cluster) {
    const hard = (pi.pod.spec.topologySpreadConstraints ?? []).filter((c) => c.whenUnsatisfiable === 'DoNotSchedule');
    if (hard.length === 0) return 'skip';
    state.write(FILTER_STATE, countConstraints(pi.pod, hard, cluster.nodeInfos()));
    return undefined;
  },
  filter(state, _pi, node) {
    const counted = state.read<Counted[]>(FILTER_STATE)!;
    const labels = node.labels();
    for (const k of counted) {
      if (labels[k.constraint.topologyKey] === undefined)
        return reject('UnschedulableAndUnresolvable', ErrReasonNodeLabelNotMatch);
    }
    for (const k of counted) {
      const here = k.counts.get(labels[k.constraint.topologyKey]!) ?? 0;
      if (here + k.selfMatch - k.min > k.constraint.maxSkew)
        return reject('Unschedulable', ErrReasonConstraintsNotMatch);
    }
    return undefined;
  },
};

export const PodTopologySpreadScore: ScorePlugin = {
  name: 'PodTopologySpread',
  preScore(state, pi, _nodes, cluster) {
    const soft = (pi.pod.spec.topologySpreadConstraints ?? []).filter((c) => c.whenUnsatisfiable === 'ScheduleAnyway');
    if (soft.length === 0) return 'skip';
    state.write(SCORE_STATE, countConstraints(pi.pod, soft, cluster.nodeInfos()));
    return undefined;
  },
  score(state, _pi, node) {
    const labels = node.labels();
    let s = 0;
    for (const k of state.read<Counted[]>(SCORE_STATE)!) {
      const v = labels[k.constraint.topologyKey];
      if (v === undefined) continue;
      // Domains weigh by how many there are, as the real plugin's log(domains + 2).
      s += (k.counts.get(v) ?? 0) * Math.log(k.counts.size + 2) + (k.constraint.maxSkew - 1);
    }
    return Math.round(s);
  },
  normalize(_s, _p, scores) {
    let min = Infinity;
    let max = 0;
    for (const s of scores) {
      if (s < min) min = s;
      if (s > max) max = s;
    }
    for (let i = 0; i < scores.length; i++)
      scores[i] = max === 0 ? MAX_NODE_SCORE : Math.trunc((MAX_NODE_SCORE * (max + min - scores[i]!)) / max);
  },
};
