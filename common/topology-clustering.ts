// Clustering per node for big labs: a node's pods drawn as one shape ("10 pods", the node's pod
// subnet) with one line to its bridge, unless the learner opened that node. 20 nodes × 10 pods
// is then ~150 shapes instead of ~680: the first paint stays fast and every label fits. Pure data
// over the projection (common/topology-projection.ts), so it is tested without a browser.
import type { TopologyView, ViewEdge, ViewNode } from './topology-projection.js';

export interface ClusterOptions {
  /** Cluster only when the lab has more pods than this (small labs are drawn whole). */
  minPods: number;
  /** A node keeps its pods drawn when it has at most this many. */
  perNode: number;
  /** Node namespaces the learner expanded. */
  expanded: ReadonlySet<string>;
}

export const CLUSTER_PREFIX = 'cluster:';

export function clusterPods(view: TopologyView, o: ClusterOptions): TopologyView {
  const byId = new Map(view.nodes.map((n) => [n.id, n]));
  const pods = view.nodes.filter((n) => !n.parent && n.nsKind === 'pod');
  if (pods.length <= o.minPods) return view;
  // A pod's home: the node box of the device its line ends at (cni0).
  const home = new Map<string, { node: ViewNode; bridge: string; edge: ViewEdge }>();
  for (const e of view.edges) {
    for (const [leaf, other] of [
      [e.source, e.target],
      [e.target, e.source],
    ] as const) {
      const l = byId.get(leaf);
      const dev = byId.get(other);
      const box = dev?.parent ? byId.get(dev.parent) : undefined;
      if (l && !l.parent && l.nsKind === 'pod' && box?.nsKind === 'node' && !home.has(leaf))
        home.set(leaf, { node: box, bridge: other, edge: e });
    }
  }
  const groups = new Map<string, { node: ViewNode; bridge: string; pods: ViewNode[] }>();
  for (const p of pods) {
    const h = home.get(p.id);
    if (!h || o.expanded.has(h.node.namespace)) continue;
    const key = `${h.node.id}|${h.bridge}`;
    const g = groups.get(key) ?? { node: h.node, bridge: h.bridge, pods: [] };
    g.pods.push(p);
    groups.set(key, g);
  }
  const hidden = new Set<string>();
  const nodes: ViewNode[] = [];
  const edges: ViewEdge[] = [];
  for (const g of groups.values()) {
    if (g.pods.length <= o.perNode) continue;
    for (const p of g.pods) hidden.add(p.id);
    const id = `${CLUSTER_PREFIX}${g.node.namespace}`;
    const subnet = byId.get(g.bridge)?.label.split('\n')[1];
    nodes.push({
      id,
      label: [`${g.pods.length} pods`, subnet].filter(Boolean).join('\n'),
      kind: 'ns-cluster',
      namespace: g.node.namespace,
      nsKind: 'pod',
    });
    const dev = byId.get(g.bridge)!;
    edges.push({
      id: `${id}/edge`,
      source: id,
      target: g.bridge,
      label: `${g.pods.length} veths`,
      kind: 'veth',
      namespace: dev.namespace,
      ifname: dev.ifname ?? '',
    });
  }
  if (hidden.size === 0) return view;
  return {
    nodes: [...view.nodes.filter((n) => !hidden.has(n.id)), ...nodes],
    edges: [...view.edges.filter((e) => !hidden.has(e.source) && !hidden.has(e.target)), ...edges],
  };
}

/** The pods a cluster shape stands for (namespace names), for "show me" and search. */
export function clusterOf(view: TopologyView, podNamespace: string): string | undefined {
  const byId = new Map(view.nodes.map((n) => [n.id, n]));
  for (const e of view.edges) {
    const leaf =
      byId.get(e.source)?.namespace === podNamespace
        ? byId.get(e.target)
        : byId.get(e.target)?.namespace === podNamespace
          ? byId.get(e.source)
          : undefined;
    if (leaf?.parent && byId.get(leaf.parent)?.nsKind === 'node') return leaf.namespace;
  }
  return undefined;
}
