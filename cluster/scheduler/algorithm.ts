// One scheduling cycle for one pod (kube-scheduler's schedulePod): PreFilter, Filter over the nodes
// starting where the last cycle stopped and stopping once enough feasible nodes are found, then
// PreScore/Score/NormalizeScore, weights, and a random pick among the best totals.
import type { ClusterLister, Rejection } from './framework.js';
import { CycleState } from './framework.js';
import type { NodeInfo, PodInfo } from './node-info.js';
import type { NodeVerdict, SchedulingDecision } from './decision.js';
import type { Profile } from './profile.js';

const MIN_FEASIBLE_NODES_TO_FIND = 100;
const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5;

/** kube-scheduler's numFeasibleNodesToFind. */
export function numFeasibleNodesToFind(numAllNodes: number, percentage: number): number {
  if (numAllNodes < MIN_FEASIBLE_NODES_TO_FIND) return numAllNodes;
  let pct = percentage;
  if (pct <= 0) {
    pct = 50 - Math.trunc(numAllNodes / 125);
    if (pct < MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND) pct = MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND;
  }
  if (pct >= 100) return numAllNodes;
  const n = Math.trunc((numAllNodes * pct) / 100);
  return n < MIN_FEASIBLE_NODES_TO_FIND ? MIN_FEASIBLE_NODES_TO_FIND : n;
}

export class ScheduleAlgorithm {
  private nextStartNodeIndex = 0;

  constructor(
    private readonly profile: Profile,
    /** Uniform in [0, 1): injected so tests can pin tie-breaks. */
    private readonly random: () => number,
  ) {}

  schedule(pi: PodInfo, cluster: ClusterLister, now: number): SchedulingDecision {
    const nodes = cluster.nodeInfos();
    const weights: Record<string, number> = {};
    for (const s of this.profile.scores) weights[s.plugin.name] = s.weight;
    const d: SchedulingDecision = {
      pod: pi.key,
      uid: pi.pod.metadata.uid,
      at: now,
      totalNodes: nodes.length,
      evaluated: 0,
      feasible: 0,
      nodes: [],
      weights,
    };
    if (nodes.length === 0) return d;

    const state = new CycleState();
    const active = [];
    for (const f of this.profile.filters) {
      const r = f.preFilter?.(state, pi, cluster);
      if (r === 'skip') continue;
      if (r) {
        d.preFilter = { plugin: f.name, code: r.code, reasons: r.reasons };
        return d;
      }
      active.push(f);
    }

    const want = numFeasibleNodesToFind(nodes.length, this.profile.percentageOfNodesToScore);
    const feasible: NodeInfo[] = [];
    const feasibleVerdicts: NodeVerdict[] = [];
    const start = this.nextStartNodeIndex % nodes.length;
    let i = 0;
    for (; i < nodes.length && feasible.length < want; i++) {
      const node = nodes[(start + i) % nodes.length]!;
      let rejection: Rejection | undefined;
      let by = '';
      for (const f of active) {
        rejection = f.filter(state, pi, node);
        if (rejection) {
          by = f.name;
          break;
        }
      }
      if (rejection) {
        d.nodes.push({ node: node.name, rejectedBy: by, code: rejection.code, reasons: rejection.reasons });
      } else {
        const v: NodeVerdict = { node: node.name };
        feasible.push(node);
        feasibleVerdicts.push(v);
        d.nodes.push(v);
      }
    }
    this.nextStartNodeIndex = (start + i) % nodes.length;
    d.evaluated = i;
    d.feasible = feasible.length;
    if (feasible.length === 0) return d;
    if (feasible.length === 1) {
      d.selected = feasible[0]!.name;
      return d;
    }

    const totals = new Array<number>(feasible.length).fill(0);
    for (const v of feasibleVerdicts) v.scores = {};
    for (const { plugin, weight } of this.profile.scores) {
      const scores = new Array<number>(feasible.length).fill(0);
      if (plugin.preScore?.(state, pi, feasible, cluster) !== 'skip') {
        for (let j = 0; j < feasible.length; j++) scores[j] = plugin.score(state, pi, feasible[j]!);
        plugin.normalize?.(state, pi, scores);
      }
      for (let j = 0; j < feasible.length; j++) {
        feasibleVerdicts[j]!.scores![plugin.name] = scores[j]!;
        totals[j]! += scores[j]! * weight;
      }
    }
    // Reservoir sampling over the best total: each of k tied nodes is chosen with probability 1/k.
    let best = -Infinity;
    let chosen = 0;
    let ties = 0;
    for (let j = 0; j < feasible.length; j++) {
      feasibleVerdicts[j]!.total = totals[j]!;
      if (totals[j]! > best) {
        best = totals[j]!;
        chosen = j;
        ties = 1;
      } else if (totals[j] === best) {
        ties++;
        if (Math.floor(this.random() * ties) === 0) chosen = j;
      }
    }
    d.selected = feasible[chosen]!.name;
    d.tiedBest = ties;
    return d;
  }
}
