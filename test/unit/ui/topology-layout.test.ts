import { test } from 'node:test';
import assert from 'node:assert/strict';
import { labLayout } from '../../../common/topology-layout.js';
import { projectTopology } from '../../../common/topology-projection.js';
import { buildTopologyGraph } from '../../../common/topology-graph.js';
import { syntheticLab } from '../../helpers/synthetic-lab.js';

test('lab layout: underlay on top, each node column with eth0 above cni0/flannel.1, its pods below it', () => {
  const view = projectTopology(buildTopologyGraph('kw-', syntheticLab({ nodes: 3, podsPerNode: 4 })));
  const pos = labLayout(view);
  const at = (id: string): { x: number; y: number } => {
    const p = pos.get(id);
    assert.ok(p, `${id} has a position`);
    return p;
  };
  const br0 = at('dev:kw-underlay/br0');
  for (let n = 1; n <= 3; n++) {
    const eth0 = at(`dev:kw-node${n}/eth0`);
    const cni0 = at(`dev:kw-node${n}/cni0`);
    const vtep = at(`dev:kw-node${n}/flannel.1`);
    assert.ok(br0.y < eth0.y && eth0.y < cni0.y && cni0.y === vtep.y);
    for (let p = 0; p < 4; p++) {
      const pod = at(`ns:kw-default_pod-${n}-${p}`);
      assert.ok(pod.y > cni0.y, 'pods below their node');
      assert.ok(Math.abs(pod.x - eth0.x) < 150, 'pods in their node column');
    }
  }
  // Every drawn leaf/device has a position and no two share one.
  const placed = view.nodes.filter((n) => n.parent || !view.nodes.some((c) => c.parent === n.id));
  assert.equal(placed.filter((n) => pos.has(n.id)).length, placed.length);
  const keys = new Set([...pos.values()].map((p) => `${p.x},${p.y}`));
  assert.equal(keys.size, pos.size);
});

test('lab layout is deterministic and adding a pod does not move the other nodes', () => {
  const before = labLayout(projectTopology(buildTopologyGraph('kw-', syntheticLab({ nodes: 2, podsPerNode: 3 }))));
  const again = labLayout(projectTopology(buildTopologyGraph('kw-', syntheticLab({ nodes: 2, podsPerNode: 3 }))));
  assert.deepEqual([...before], [...again]);
  const more = labLayout(
    projectTopology(buildTopologyGraph('kw-', syntheticLab({ nodes: 2, podsPerNode: 3, extraPodOn: 1 }))),
  );
  assert.deepEqual(more.get('dev:kw-node2/cni0'), before.get('dev:kw-node2/cni0'));
  assert.deepEqual(more.get('ns:kw-default_pod-2-0'), before.get('ns:kw-default_pod-2-0'));
  assert.ok(more.has('ns:kw-default_extra-1'));
});
