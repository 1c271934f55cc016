// The decision annotation's summary: the three best totals (ties kept in the order the nodes were
// evaluated, as a stable sort keeps them) and the rejections per plugin, computed in one pass.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NodeVerdict, SchedulingDecision } from '../../../cluster/scheduler/decision.js';
import { summarize } from '../../../cluster/scheduler/scheduler.js';

function decision(nodes: NodeVerdict[]): SchedulingDecision {
  const feasible = nodes.filter((v) => v.total !== undefined).length;
  return {
    pod: 'default/p',
    at: 0,
    selected: 'n0',
    totalNodes: nodes.length,
    evaluated: nodes.length,
    feasible,
    nodes,
    weights: {},
  };
}

/** The summary as a sort of every verdict would give it. */
function bySorting(d: SchedulingDecision): string {
  const top = d.nodes
    .filter((v) => v.total !== undefined)
    .sort((a, b) => b.total! - a.total!)
    .slice(0, 3)
    .map((v) => `${v.node}=${v.total}`);
  const rejected = new Map<string, number>();
  for (const v of d.nodes) if (v.rejectedBy) rejected.set(v.rejectedBy, (rejected.get(v.rejectedBy) ?? 0) + 1);
  const rej = [...rejected].map(([p, n]) => `${p}:${n}`).join(',');
  return `${d.selected}; feasible ${d.feasible}/${d.evaluated} of ${d.totalNodes}${top.length ? `; top ${top.join(' ')}` : ''}${rej ? `; rejected ${rej}` : ''}`;
}

test('top three totals and rejections, as sorting every verdict would give them', () => {
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let round = 0; round < 200; round++) {
    const n = Math.floor(rand() * 12);
    const nodes: NodeVerdict[] = Array.from({ length: n }, (_, i) =>
      rand() < 0.3
        ? { node: `n${i}`, rejectedBy: rand() < 0.5 ? 'NodeResourcesFit' : 'TaintToleration' }
        : { node: `n${i}`, total: Math.floor(rand() * 5) * 10 },
    );
    const d = decision(nodes);
    assert.equal(summarize(d), bySorting(d), JSON.stringify(nodes));
  }
});
