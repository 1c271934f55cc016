import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTopologyGraph } from '../../../common/topology-graph.js';
import { clusterOf, clusterPods } from '../../../common/topology-clustering.js';
import { labLayout } from '../../../common/topology-layout.js';
import { projectTopology } from '../../../common/topology-projection.js';
import { syntheticLab } from '../../helpers/synthetic-lab.js';

test("20 nodes × 10 pods: each node's pods become one shape with one line to its cni0", () => {
  const full = projectTopology(buildTopologyGraph('kw-', syntheticLab({ nodes: 20, podsPerNode: 10 })));
  const view = clusterPods(full, { minPods: 40, perNode: 4, expanded: new Set() });
  const clusters = view.nodes.filter((n) => n.kind === 'ns-cluster');
  assert.equal(clusters.length, 20);
  assert.equal(view.nodes.filter((n) => n.nsKind === 'pod' && n.kind === 'ns-pod').length, 0);
  const c5 = clusters.find((c) => c.namespace === 'kw-node5')!;
  assert.equal(c5.label, '10 pods\n192.168.132.1/24');
  const line = view.edges.find((e) => e.source === c5.id)!;
  assert.equal(line.target, 'dev:kw-node5/cni0');
  assert.ok(
    view.nodes.length + view.edges.length < (full.nodes.length + full.edges.length) / 2,
    `${view.nodes.length + view.edges.length} elements vs ${full.nodes.length + full.edges.length}`,
  );
  // Every edge still ends at a drawn shape, and the lab layout places every shape.
  const ids = new Set(view.nodes.map((n) => n.id));
  for (const e of view.edges) assert.ok(ids.has(e.source) && ids.has(e.target), e.id);
  const pos = labLayout(view);
  for (const n of view.nodes.filter((n) => !view.nodes.some((c) => c.parent === n.id))) assert.ok(pos.has(n.id), n.id);
  assert.equal(clusterOf(full, 'kw-default_pod-5-3'), 'kw-node5');
});

test('an expanded node shows its pods; small labs are not clustered at all', () => {
  const full = projectTopology(buildTopologyGraph('kw-', syntheticLab({ nodes: 20, podsPerNode: 10 })));
  const view = clusterPods(full, { minPods: 40, perNode: 4, expanded: new Set(['kw-node5']) });
  assert.equal(view.nodes.filter((n) => n.kind === 'ns-cluster').length, 19);
  assert.equal(view.nodes.filter((n) => n.kind === 'ns-pod' && n.namespace.startsWith('kw-default_pod-5-')).length, 10);
  const small = projectTopology(buildTopologyGraph('kw-', syntheticLab({ nodes: 6, podsPerNode: 2 })));
  assert.equal(clusterPods(small, { minPods: 40, perNode: 4, expanded: new Set() }), small);
});
