// InterPodAffinity: required affinity (the node's topology domain must already hold a matching pod),
// required anti-affinity (it must not), and the symmetric rule that an existing pod's anti-affinity
// keeps matching newcomers out of its domain. Preferred terms of both sides add or subtract their
// weights per topology domain for the score, normalised min–max.
import type { Pod, PodAffinityTerm } from '../../../common/api-types.js';
import type { ClusterLister, FilterPlugin, ScorePlugin } from '../framework.js';
import { MAX_NODE_SCORE, reject } from '../framework.js';
import type { NodeInfo, PodInfo } from '../node-info.js';
import { affinityTermMatches } from './helpers.js';

export const ErrReasonExistingAntiAffinityRulesNotMatch = "node(s) didn't satisfy existing pods anti-affinity rules";
export const ErrReasonAffinityRulesNotMatch = "node(s) didn't match pod affinity rules";
export const ErrReasonAntiAffinityRulesNotMatch = "node(s) didn't match pod anti-affinity rules";

/** kube-scheduler's hardPodAffinityWeight default: an existing pod's required affinity counts 1 in scoring. */
const HARD_POD_AFFINITY_WEIGHT = 1;

/** topologyKey → topology value → count (or score). */
type TopologyCounts = Map<string, Map<string, number>>;

function bump(m: TopologyCounts, key: string, value: string | undefined, by: number): void {
  if (value === undefined) return;
  let inner = m.get(key);
  if (!inner) m.set(key, (inner = new Map()));
  inner.set(value, (inner.get(value) ?? 0) + by);
}

function countAt(m: TopologyCounts, key: string, node: NodeInfo): number {
  const v = node.labels()[key];
  return v === undefined ? 0 : (m.get(key)?.get(v) ?? 0);
}

interface FilterState {
  existingAnti: TopologyCounts;
  affinity: TopologyCounts;
  anti: TopologyCounts;
  affinityTerms: PodAffinityTerm[];
  antiTerms: PodAffinityTerm[];
  /** No pod anywhere matches the affinity terms, but the pod matches its own: the first of a group may go anywhere. */
  firstOfGroup: boolean;
}

const FILTER_STATE = 'PreFilterInterPodAffinity';
const SCORE_STATE = 'PreScoreInterPodAffinity';

function requiredTerms(p: Pod) {
  return {
    affinity: p.spec.affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [],
    anti: p.spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [],
  };
}

export const InterPodAffinityFilter: FilterPlugin = {
  name: 'InterPodAffinity',
  preFilter(state, pi, cluster) {
    const nodes = cluster.nodeInfos();
    const own = requiredTerms(pi.pod);
    const anyExistingAffinity = nodes.some((n) => n.podsWithAffinity > 0);
    if (!anyExistingAffinity && own.affinity.length === 0 && own.anti.length === 0) return 'skip';
    const s: FilterState = {
      existingAnti: new Map(),
      affinity: new Map(),
      anti: new Map(),
      affinityTerms: own.affinity,
      antiTerms: own.anti,
      firstOfGroup: false,
    };
    const scanAll = own.affinity.length > 0 || own.anti.length > 0;
    for (const n of nodes) {
      if (!scanAll && n.podsWithAffinity === 0) continue;
      const labels = n.labels();
      for (const e of n.pods.values()) {
        if (e.hasAffinity) {
          for (const t of requiredTerms(e.pod).anti) {
            if (affinityTermMatches(t, e.pod, pi.pod, cluster))
              bump(s.existingAnti, t.topologyKey, labels[t.topologyKey], 1);
          }
        }
        if (own.affinity.length && own.affinity.every((t) => affinityTermMatches(t, pi.pod, e.pod, cluster))) {
          for (const t of own.affinity) bump(s.affinity, t.topologyKey, labels[t.topologyKey], 1);
        }
        for (const t of own.anti) {
          if (affinityTermMatches(t, pi.pod, e.pod, cluster)) bump(s.anti, t.topologyKey, labels[t.topologyKey], 1);
        }
      }
    }
    s.firstOfGroup =
      own.affinity.length > 0 &&
      s.affinity.size === 0 &&
      own.affinity.every((t) => affinityTermMatches(t, pi.pod, pi.pod, cluster));
    state.write(FILTER_STATE, s);
    return undefined;
  },
  filter(state, _pi, node) {
    const s = state.read<FilterState>(FILTER_STATE);
    if (!s) return undefined;
    const labels = node.labels();
    for (const [key, byValue] of s.existingAnti) {
      const v = labels[key];
      if (v !== undefined && (byValue.get(v) ?? 0) > 0)
        return reject('Unschedulable', ErrReasonExistingAntiAffinityRulesNotMatch);
    }
    if (!s.firstOfGroup) {
      for (const t of s.affinityTerms) {
        if (countAt(s.affinity, t.topologyKey, node) <= 0)
          return reject('UnschedulableAndUnresolvable', ErrReasonAffinityRulesNotMatch);
      }
    }
    for (const t of s.antiTerms) {
      if (countAt(s.anti, t.topologyKey, node) > 0) return reject('Unschedulable', ErrReasonAntiAffinityRulesNotMatch);
    }
    return undefined;
  },
};

function preferred(p: Pod) {
  return {
    affinity: p.spec.affinity?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [],
    anti: p.spec.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [],
  };
}

function scoreExisting(
  scores: TopologyCounts,
  pi: PodInfo,
  e: PodInfo,
  labels: Record<string, string>,
  cluster: ClusterLister,
): void {
  const mine = preferred(pi.pod);
  for (const t of mine.affinity) {
    if (affinityTermMatches(t.podAffinityTerm, pi.pod, e.pod, cluster))
      bump(scores, t.podAffinityTerm.topologyKey, labels[t.podAffinityTerm.topologyKey], t.weight);
  }
  for (const t of mine.anti) {
    if (affinityTermMatches(t.podAffinityTerm, pi.pod, e.pod, cluster))
      bump(scores, t.podAffinityTerm.topologyKey, labels[t.podAffinityTerm.topologyKey], -t.weight);
  }
  if (!e.hasAffinity) return;
  const theirs = preferred(e.pod);
  for (const t of theirs.affinity) {
    if (affinityTermMatches(t.podAffinityTerm, e.pod, pi.pod, cluster))
      bump(scores, t.podAffinityTerm.topologyKey, labels[t.podAffinityTerm.topologyKey], t.weight);
  }
  for (const t of theirs.anti) {
    if (affinityTermMatches(t.podAffinityTerm, e.pod, pi.pod, cluster))
      bump(scores, t.podAffinityTerm.topologyKey, labels[t.podAffinityTerm.topologyKey], -t.weight);
  }
  for (const t of requiredTerms(e.pod).affinity) {
    if (affinityTermMatches(t, e.pod, pi.pod, cluster))
      bump(scores, t.topologyKey, labels[t.topologyKey], HARD_POD_AFFINITY_WEIGHT);
  }
}

export const InterPodAffinityScore: ScorePlugin = {
  name: 'InterPodAffinity',
  preScore(state, pi, _nodes, cluster) {
    const all = cluster.nodeInfos();
    const mine = preferred(pi.pod);
    const hasOwn = mine.affinity.length > 0 || mine.anti.length > 0;
    if (!hasOwn && !all.some((n) => n.podsWithAffinity > 0)) return 'skip';
    const scores: TopologyCounts = new Map();
    for (const n of all) {
      if (!hasOwn && n.podsWithAffinity === 0) continue;
      const labels = n.labels();
      for (const e of n.pods.values()) if (hasOwn || e.hasAffinity) scoreExisting(scores, pi, e, labels, cluster);
    }
    if (scores.size === 0) return 'skip';
    state.write(SCORE_STATE, scores);
    return undefined;
  },
  score(state, _pi, node) {
    const scores = state.read<TopologyCounts>(SCORE_STATE)!;
    let sum = 0;
    for (const key of scores.keys()) sum += countAt(scores, key, node);
    return sum;
  },
  normalize(_s, _p, scores) {
    let min = Infinity;
    let max = -Infinity;
    for (const s of scores) {
      if (s < min) min = s;
      if (s > max) max = s;
    }
    const diff = max - min;
    for (let i = 0; i < scores.length; i++)
      scores[i] = diff > 0 ? Math.trunc((MAX_NODE_SCORE * (scores[i]! - min)) / diff) : 0;
  },
};
