// The "lab" layout: positions computed from the projected graph so the picture reads like the
// article's diagrams (the Internet, gateway and underlay switch on top; a column per node with
// eth0, flannel.1 and cni0 inside its box; its pods below it). Deterministic, so adding a pod moves
// nothing else, and linear in the graph's size (a force layout is offered beside it in the view).
import type { TopologyView, ViewNode } from './topology-projection.js';

export interface Point {
  x: number;
  y: number;
}

const COL_W = 380;
const NODES_PER_ROW = 8;
const POD_W = 116;
const POD_H = 58;
// Three pods a row: a line from cni0 to a second-row pod then rarely crosses a first-row one.
const POD_COLS = 3;
const INFRA_GAP = 40;
const DEV_W = 112;

/** `aspect`: width / height of the drawing area; node columns wrap into rows to fill it. */
export function labLayout(view: TopologyView, aspect = 1.6): Map<string, Point> {
  const pos = new Map<string, Point>();
  const byId = new Map(view.nodes.map((n) => [n.id, n]));
  const childrenOf = new Map<string, ViewNode[]>();
  for (const n of view.nodes) {
    if (!n.parent) continue;
    const list = childrenOf.get(n.parent) ?? [];
    list.push(n);
    childrenOf.set(n.parent, list);
  }
  const compounds = view.nodes.filter((n) => !n.parent && childrenOf.has(n.id));
  const leaves = view.nodes.filter((n) => !n.parent && !childrenOf.has(n.id));
  const nodeBoxes = compounds.filter((n) => n.nsKind === 'node');
  const infraBoxes = compounds.filter((n) => n.nsKind !== 'node');

  // Which node a leaf (pod, docker host) hangs off: the node box of the device its line ends at.
  const home = new Map<string, string>();
  for (const e of view.edges) {
    for (const [leaf, other] of [
      [e.source, e.target],
      [e.target, e.source],
    ] as const) {
      const l = byId.get(leaf);
      const o = byId.get(other);
      if (
        l &&
        !l.parent &&
        !childrenOf.has(l.id) &&
        o?.parent &&
        byId.get(o.parent)?.nsKind === 'node' &&
        !home.has(leaf)
      )
        home.set(leaf, o.parent);
    }
  }
  const podsOf = new Map<string, ViewNode[]>(nodeBoxes.map((n) => [n.id, []]));
  const homeless: ViewNode[] = [];
  for (const l of leaves) {
    const h = home.get(l.id);
    if (h && podsOf.has(h)) podsOf.get(h)!.push(l);
    else homeless.push(l);
  }

  const perRow = nodesPerRow(nodeBoxes.length, Math.max(...nodeBoxes.map((b) => podsOf.get(b.id)!.length), 0), aspect);
  const width = perRow * COL_W;

  // Top band: each infrastructure namespace as a row of its devices, side by side, centred.
  const infraWidths = infraBoxes.map((b) => Math.max(1, childrenOf.get(b.id)!.length) * DEV_W);
  const infraTotal = infraWidths.reduce((a, b) => a + b, 0) + INFRA_GAP * Math.max(0, infraBoxes.length - 1);
  let x = (width - infraTotal) / 2;
  infraBoxes.forEach((b, i) => {
    const kids = sortDevices(childrenOf.get(b.id)!);
    kids.forEach((k, j) => pos.set(k.id, { x: x + DEV_W / 2 + j * DEV_W, y: 0 }));
    x += infraWidths[i]! + INFRA_GAP;
  });

  // Node columns, in rows of NODES_PER_ROW; each row is as tall as its node with the most pods.
  let rowTop = infraBoxes.length ? 140 : 0;
  for (let r = 0; r * perRow < nodeBoxes.length; r++) {
    const row = nodeBoxes.slice(r * perRow, (r + 1) * perRow);
    let rowHeight = 0;
    row.forEach((box, c) => {
      const cx = c * COL_W + COL_W / 2;
      const devs = sortDevices(childrenOf.get(box.id)!);
      const [uplink, ...rest] = devs;
      if (uplink) pos.set(uplink.id, { x: cx, y: rowTop });
      // The second row holds flannel.1 and cni0 (and any further device), centred under eth0.
      const perLine = 3;
      rest.forEach((d, i) => {
        const line = Math.floor(i / perLine);
        const inLine = Math.min(perLine, rest.length - line * perLine);
        const k = i % perLine;
        pos.set(d.id, { x: cx + (k - (inLine - 1) / 2) * DEV_W, y: rowTop + 60 + line * 50 });
      });
      const devHeight = 60 + Math.ceil(rest.length / perLine) * 50;
      // Pods by name; the docker0 host last, under docker0 (the rightmost device).
      const pods = [...podsOf.get(box.id)!].sort(
        (a, b) => Number(a.nsKind === 'docker') - Number(b.nsKind === 'docker') || a.label.localeCompare(b.label),
      );
      const podTop = rowTop + devHeight + 50;
      pods.forEach((p, i) => {
        const col = i % POD_COLS;
        // A row of fewer pods (one pod cluster, a node with two pods) is centred under its node.
        const inRow = Math.min(POD_COLS, pods.length - (i - col));
        pos.set(p.id, { x: cx + (col - (inRow - 1) / 2) * POD_W, y: podTop + Math.floor(i / POD_COLS) * POD_H });
      });
      rowHeight = Math.max(rowHeight, devHeight + 50 + Math.ceil(pods.length / POD_COLS) * POD_H);
    });
    rowTop += rowHeight + 70;
  }

  // Anything we cannot place by its wiring goes in a grid below.
  homeless.sort((a, b) => a.label.localeCompare(b.label));
  const perLine = Math.max(1, Math.floor(width / POD_W));
  homeless.forEach((n, i) =>
    pos.set(n.id, { x: (i % perLine) * POD_W + POD_W / 2, y: rowTop + Math.floor(i / perLine) * POD_H }),
  );
  return pos;
}

/** Columns per row: balanced rows (6 nodes: 6, 3+3 or 2+2+2) whose shape best fits the area. */
function nodesPerRow(nodes: number, maxPods: number, aspect: number): number {
  if (nodes <= 1) return 1;
  const rowHeight = 230 + Math.ceil(maxPods / POD_COLS) * POD_H;
  let best = Math.min(NODES_PER_ROW, nodes);
  let bestScore = Infinity;
  for (let rows = Math.ceil(nodes / NODES_PER_ROW); rows <= nodes; rows++) {
    const n = Math.ceil(nodes / rows);
    const shape = (n * COL_W) / (rows * rowHeight + 140);
    const score = Math.abs(Math.log(shape / aspect));
    if (score < bestScore) {
      bestScore = score;
      best = n;
    }
  }
  return best;
}

/** eth0 first (the node's uplink), then VTEPs, then bridges, then the rest by name. */
function sortDevices(devs: ViewNode[]): ViewNode[] {
  const rank = (d: ViewNode): number =>
    d.ifname === 'eth0' ? 0 : d.kind === 'dev-vxlan' ? 1 : d.kind === 'dev-bridge' ? 2 : 3;
  return [...devs].sort((a, b) => rank(a) - rank(b) || (a.ifname ?? '').localeCompare(b.ifname ?? ''));
}
