// What the topology view draws, derived from the graph model the way the article draws it: a box
// per node namespace with its devices (eth0, cni0, flannel.1…), each pod as one shape with its IP,
// a veth pair whose node end is a bridge port drawn as one line from the pod to the bridge, and
// VXLAN tunnels between VTEPs. Pure data, so it is tested without a browser.
import type { NamespaceKind } from './lab-names.js';
import type { DeviceModel, TopologyGraph } from './topology-model.js';

export interface ViewNode {
  id: string;
  parent?: string;
  label: string;
  /** `ns-<kind>` for a namespace box or leaf, `dev-<kind>` for a device. */
  kind: string;
  namespace: string;
  ifname?: string;
  nsKind: NamespaceKind;
}

export interface ViewEdge {
  id: string;
  source: string;
  target: string;
  label: string;
  kind: 'veth' | 'bridge-port' | 'vxlan';
  /** The device a click on the line shows (the folded veth end, or the tunnel's VTEP). */
  namespace: string;
  ifname: string;
}

export interface TopologyView {
  nodes: ViewNode[];
  edges: ViewEdge[];
}

const LEAF_KINDS: readonly NamespaceKind[] = ['pod', 'docker'];

export function projectTopology(g: TopologyGraph): TopologyView {
  const devices = new Map(g.devices.map((d) => [d.id, d]));
  const nodes: ViewNode[] = [];
  /** Device id → the view node that stands for it. */
  const alias = new Map<string, string>();
  const folded = new Set<string>();

  // A veth end that is a port of a bridge in its namespace, with a known peer, becomes a line.
  for (const d of g.devices) {
    if (d.kind === 'veth' && d.peer && d.master && devices.get(`${d.namespace}/${d.master}`)?.kind === 'bridge')
      folded.add(d.id);
  }

  for (const ns of g.namespaces) {
    const nsId = `ns:${ns.name}`;
    const own = ns.devices.map((id) => devices.get(id)).filter((d): d is DeviceModel => d !== undefined);
    if (LEAF_KINDS.includes(ns.kind) && own.length <= 1) {
      const dev = own[0];
      const ip = dev?.addresses.find((a) => !a.includes(':'))?.split('/')[0];
      const name = ns.kind === 'pod' ? (ns.pod ?? ns.label) : ns.label;
      const label = [name, ip, dev?.mac].filter(Boolean).join('\n');
      nodes.push({ id: nsId, label, kind: `ns-${ns.kind}`, namespace: ns.name, ifname: dev?.ifname, nsKind: ns.kind });
      if (dev) alias.set(dev.id, nsId);
      continue;
    }
    nodes.push({ id: nsId, label: ns.label, kind: `ns-${ns.kind}`, namespace: ns.name, nsKind: ns.kind });
    for (const dev of own) {
      if (folded.has(dev.id)) continue;
      const viewId = `dev:${dev.id}`;
      const ip = dev.addresses[0];
      nodes.push({
        id: viewId,
        parent: nsId,
        label: ip ? `${dev.ifname}\n${ip}` : dev.ifname,
        kind: `dev-${dev.kind}`,
        namespace: ns.name,
        ifname: dev.ifname,
        nsKind: ns.kind,
      });
      alias.set(dev.id, viewId);
    }
  }

  const edges: ViewEdge[] = [];
  const seen = new Set<string>();
  const push = (e: ViewEdge): void => {
    if (!seen.has(e.id) && e.source !== e.target) {
      seen.add(e.id);
      edges.push(e);
    }
  };
  for (const e of g.edges) {
    if (e.kind === 'veth') {
      const a = devices.get(e.source);
      const b = devices.get(e.target);
      if (!a || !b) continue;
      const fold = folded.has(a.id) ? a : folded.has(b.id) ? b : undefined;
      if (fold) {
        const other = fold === a ? b : a;
        const from = alias.get(other.id);
        const to = alias.get(`${fold.namespace}/${fold.master}`);
        if (from && to)
          push({
            id: e.id,
            source: from,
            target: to,
            label: fold.ifname,
            kind: 'veth',
            namespace: fold.namespace,
            ifname: fold.ifname,
          });
        continue;
      }
      const from = alias.get(a.id);
      const to = alias.get(b.id);
      if (from && to)
        push({
          id: e.id,
          source: from,
          target: to,
          label: `${a.ifname} ⇄ ${b.ifname}`,
          kind: 'veth',
          namespace: a.namespace,
          ifname: a.ifname,
        });
    } else if (e.kind === 'bridge-port') {
      if (folded.has(e.source)) continue;
      const from = alias.get(e.source);
      const to = alias.get(e.target);
      const port = devices.get(e.source);
      if (from && to && port)
        push({
          id: e.id,
          source: from,
          target: to,
          label: '',
          kind: 'bridge-port',
          namespace: port.namespace,
          ifname: port.ifname,
        });
    } else {
      const from = alias.get(e.source);
      const to = alias.get(e.target);
      const vtep = devices.get(e.source);
      if (from && to && vtep)
        push({
          id: e.id,
          source: from,
          target: to,
          label: `VXLAN ${vtep.vxlan?.vni ?? ''}`.trim(),
          kind: 'vxlan',
          namespace: vtep.namespace,
          ifname: vtep.ifname,
        });
    }
  }
  return { nodes, edges };
}
