// The live topology drawn with cytoscape: elements come from common/topology-projection.ts; an
// update adds/removes/changes only what differs and lays out again only when the shape changed.
import cytoscape, { type Core, type ElementDefinition } from 'cytoscape';
import { projectTopology, type TopologyView as ViewModel, type ViewEdge, type ViewNode } from '../common/topology-projection.js';
import { labLayout } from '../common/topology-layout.js';
import type { TopologyGraph } from '../common/topology-model.js';

export interface Selection {
  namespace: string;
  ifname?: string;
  label: string;
}

export interface DrawTiming {
  /** Wall time of this update's element changes plus layout. */
  drawMs: number;
  /** Graph model → view model (+ lab positions). */
  projectMs: number;
  /** Element changes in cytoscape. */
  addMs: number;
  /** Fit, or a whole layout pass (force layout). */
  layoutMs: number;
  layout: boolean;
  nodes: number;
  edges: number;
}

const STYLE: cytoscape.StylesheetJson = [
  { selector: 'node', style: { label: 'data(label)', 'text-wrap': 'wrap', 'font-size': 10, color: '#d7dae0', 'text-valign': 'center', 'text-halign': 'center', 'background-color': '#3b4252', 'border-width': 1, 'border-color': '#5c6370', width: 64, height: 30, shape: 'round-rectangle', 'font-family': 'system-ui, sans-serif', 'min-zoomed-font-size': 7 } },
  { selector: ':parent', style: { 'text-valign': 'top', 'text-halign': 'center', 'background-opacity': 0.12, 'background-color': '#61afef', 'border-color': '#61afef', 'font-size': 12, 'font-weight': 'bold', padding: '12px', shape: 'round-rectangle' } },
  { selector: 'node[kind = "ns-underlay"]', style: { 'background-color': '#c678dd', 'border-color': '#c678dd' } },
  { selector: 'node[kind = "ns-gateway"], node[kind = "ns-internet"]', style: { 'background-color': '#e5c07b', 'border-color': '#e5c07b' } },
  { selector: 'node[kind = "ns-pod"]', style: { 'background-color': '#2f5d46', 'border-color': '#98c379', shape: 'round-rectangle', width: 104, height: 46, 'font-size': 9 } },
  { selector: 'node[kind = "ns-docker"]', style: { 'background-color': '#3d4f6b', 'border-color': '#61afef', shape: 'round-rectangle', width: 104, height: 46, 'font-size': 9 } },
  { selector: 'node[kind ^= "dev-"]', style: { width: 100, 'font-size': 9 } },
  { selector: 'node[kind = "dev-bridge"]', style: { 'background-color': '#5a4a2a', 'border-color': '#e5c07b' } },
  { selector: 'node[kind = "dev-vxlan"]', style: { 'background-color': '#5b3a3a', 'border-color': '#e06c75' } },
  { selector: 'node[kind = "dev-veth"]', style: { 'background-color': '#344b5e' } },
  { selector: 'edge', style: { width: 1.5, 'line-color': '#7f8899', 'curve-style': 'bezier', 'font-size': 8, color: '#9aa3b2', 'text-rotation': 'autorotate', 'text-background-color': '#1b1d23', 'text-background-opacity': 0.8, 'text-background-padding': '1px', 'min-zoomed-font-size': 7 } },
  // Line labels (veth names) only when zoomed in far enough to read them: measuring 400 of them
  // on every full redraw is most of the first paint of a big lab.
  { selector: 'edge.labelled', style: { label: 'data(label)' } },
  // Tunnels arc below the node boxes so they do not run through cni0 on the way.
  // A full mesh of tunnels is many lines: faint, until one of its ends is selected.
  { selector: 'edge[kind = "vxlan"]', style: { 'line-style': 'dashed', 'line-color': '#e06c75', width: 1.5, opacity: 0.35, color: '#e06c75', 'curve-style': 'unbundled-bezier', 'control-point-distances': [-70], 'control-point-weights': [0.5], 'z-index': 0 } },
  { selector: 'edge.hl', style: { opacity: 1, width: 2.5, 'z-index': 10 } },
  { selector: 'edge[kind = "vxlan"].hl', style: { label: 'data(label)' } },
  { selector: 'edge[kind = "bridge-port"]', style: { 'line-style': 'dotted' } },
  { selector: ':selected', style: { 'border-width': 3, 'border-color': '#7fd1ff', 'line-color': '#7fd1ff' } },
  // A traced path (renderer/path-panel.ts): the devices and lines it crosses.
  { selector: 'node.on-path', style: { 'border-width': 3, 'border-color': '#d19a66' } },
  { selector: 'edge.on-path', style: { width: 3.5, 'line-color': '#d19a66', 'z-index': 10 } },
];

export type LayoutName = 'lab' | 'force';

export class TopologyView {
  private readonly cy: Core;
  private lastShape = '';
  private lastView: ViewModel | undefined;
  private fitted = false;
  private layoutName: LayoutName = 'lab';

  constructor(container: HTMLElement, private readonly onSelect: (s: Selection | undefined) => void) {
    this.cy = cytoscape({ container, style: STYLE, wheelSensitivity: 0.3, minZoom: 0.05, maxZoom: 4, boxSelectionEnabled: false });
    this.cy.on('tap', (e) => {
      this.cy.edges('.hl').removeClass('hl');
      if (e.target === this.cy) return this.onSelect(undefined);
      // Light up the lines of what was clicked (for a node box: of everything inside it).
      const el = e.target as cytoscape.NodeSingular;
      (el.isNode() ? el.union(el.descendants()).connectedEdges() : el).addClass('hl');
      const d = e.target.data() as ViewNode | ViewEdge;
      this.onSelect({ namespace: d.namespace, ifname: d.ifname, label: 'label' in d && d.label ? String(d.label).replace('\n', ' ') : d.namespace });
    });
    this.cy.on('zoom', () => this.updateEdgeLabels());
  }

  private edgeLabels = false;

  /** Shows line labels for a small graph, or once zoomed in enough to read them. */
  private updateEdgeLabels(force = false): void {
    const want = this.cy.edges().length <= 80 || this.cy.zoom() >= 0.75;
    if (want === this.edgeLabels && !force) return;
    this.edgeLabels = want;
    this.cy.batch(() => {
      if (want) this.cy.edges().addClass('labelled');
      else this.cy.edges().removeClass('labelled');
    });
  }

  /** Applies a new graph; returns how long drawing took, step by step. */
  update(graph: TopologyGraph): DrawTiming {
    const t0 = performance.now();
    const view = projectTopology(graph);
    this.lastView = view;
    const wanted = new Map<string, ElementDefinition>();
    for (const n of view.nodes) wanted.set(n.id, { group: 'nodes', data: { ...n } });
    for (const e of view.edges) wanted.set(e.id, { group: 'edges', data: { ...e } });
    const shape = [...wanted.keys()].sort().join('\n');
    const reshaped = shape !== this.lastShape;
    // In the lab layout, new shapes are added already in place: no separate layout pass.
    const pos = this.layoutName === 'lab' && reshaped ? labLayout(view, this.aspect()) : undefined;
    const t1 = performance.now();
    this.cy.batch(() => {
      const toAdd: ElementDefinition[] = [];
      if (this.cy.elements().empty()) {
        toAdd.push(...wanted.values());
      } else {
        this.cy.elements().forEach((el) => {
          if (!wanted.has(el.id())) el.remove();
        });
        for (const [id, def] of wanted) {
          const el = this.cy.getElementById(id);
          if (el.empty()) toAdd.push(def);
          else if (!sameData(el.data() as Record<string, unknown>, def.data)) el.data(def.data);
        }
      }
      if (pos) {
        for (const def of toAdd) {
          const p = def.group === 'nodes' ? pos.get(def.data.id!) : undefined;
          if (p) def.position = { ...p };
        }
        this.cy.nodes().forEach((n) => {
          const p = pos.get(n.id());
          if (p && !n.isParent()) n.position(p);
        });
      }
      // Parents first: cytoscape needs a compound parent to exist before its children.
      toAdd.sort((a, b) => rank(a) - rank(b));
      this.cy.add(toAdd);
    });
    const t2 = performance.now();
    if (reshaped) {
      this.lastShape = shape;
      if (pos) {
        if (!this.fitted) this.fitPositions(pos);
        this.fitted = true;
      } else this.layout();
    }
    if (reshaped) this.updateEdgeLabels(true);
    const t3 = performance.now();
    if (this.pathKeys.size) this.applyPath();
    return { drawMs: t3 - t0, projectMs: t1 - t0, addMs: t2 - t1, layoutMs: t3 - t2, layout: reshaped, nodes: view.nodes.length, edges: view.edges.length };
  }

  private aspect(): number {
    const w = this.cy.width();
    const h = this.cy.height();
    return w > 0 && h > 0 ? w / h : 1.6;
  }

  setLayout(name: LayoutName): void {
    this.layoutName = name;
    this.fitted = false;
    this.layout();
  }

  private layout(): void {
    if (this.layoutName === 'lab' && this.lastView) {
      const pos = labLayout(this.lastView, this.aspect());
      this.cy.layout({ name: 'preset', positions: (n: cytoscape.NodeSingular) => pos.get(n.id()) ?? { x: 0, y: 0 }, fit: !this.fitted, padding: 24, animate: false } as cytoscape.LayoutOptions).run();
      this.fitted = true;
      return;
    }
    this.forceLayout();
  }

  private forceLayout(): void {
    const n = this.cy.nodes().length;
    // cose gives the article-like picture for a lab-sized graph; beyond a few hundred shapes its
    // cost grows fast, so big graphs get a bounded number of iterations.
    this.cy
      .layout({
        name: 'cose',
        animate: false,
        randomize: !this.fitted,
        fit: true,
        padding: 20,
        nodeDimensionsIncludeLabels: true,
        numIter: n > 300 ? 150 : 1000,
        idealEdgeLength: () => 60,
        nodeRepulsion: () => 8000,
        nestingFactor: 1.2,
        componentSpacing: 60,
      } as cytoscape.LayoutOptions)
      .run();
    this.fitted = true;
  }

  /**
   * Fits the view to the computed positions. cy.fit() would measure every label first (about
   * 350 ms for 700 labels); the layout already knows where everything is.
   */
  private fitPositions(pos: Map<string, { x: number; y: number }>): void {
    let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
    for (const p of pos.values()) {
      x0 = Math.min(x0, p.x);
      y0 = Math.min(y0, p.y);
      x1 = Math.max(x1, p.x);
      y1 = Math.max(y1, p.y);
    }
    if (!Number.isFinite(x0)) return;
    // Room for half a shape and a box's padding and title on every side.
    const margin = { x: 90, top: 70, bottom: 50 };
    const bw = x1 - x0 + 2 * margin.x;
    const bh = y1 - y0 + margin.top + margin.bottom;
    const w = this.cy.width();
    const h = this.cy.height();
    if (w <= 0 || h <= 0) return;
    const zoom = Math.max(this.cy.minZoom(), Math.min(1.6, w / bw, h / bh));
    const cx = (x0 + x1) / 2;
    const cyMid = (y0 - margin.top + y1 + margin.bottom) / 2;
    this.cy.viewport({ zoom, pan: { x: w / 2 - zoom * cx, y: h / 2 - zoom * cyMid } });
  }

  fit(): void {
    this.cy.fit(undefined, 20);
  }

  resize(): void {
    this.cy.resize();
    // Keep what is selected in sight when a panel took room from the graph.
    const sel = this.cy.$(':selected');
    if (sel.nonempty()) {
      const bb = sel.renderedBoundingBox();
      if (bb.x1 < 0 || bb.y1 < 0 || bb.x2 > this.cy.width() || bb.y2 > this.cy.height()) this.cy.center(sel);
    }
  }

  /** Selects an element as a click would (tests and the lab guide use it). */
  tap(id: string): boolean {
    const el = this.cy.getElementById(id);
    if (el.empty()) return false;
    this.cy.elements().unselect();
    el.select();
    el.emit('tap');
    return true;
  }

  private pathKeys = new Set<string>();

  /** Marks what a traced path crosses: devices (namespace + ifname), pod leaves, and the lines between them. */
  highlightPath(points: { namespace: string; ifname?: string }[]): number {
    this.pathKeys = new Set(points.map((p) => `${p.namespace}/${p.ifname ?? ''}`));
    return this.applyPath();
  }

  private applyPath(): number {
    const on = (ns: unknown, ifname: unknown): boolean => this.pathKeys.has(`${String(ns)}/${ifname === undefined ? '' : String(ifname)}`);
    let n = 0;
    this.cy.batch(() => {
      this.cy.elements().removeClass('on-path');
      // Namespace boxes that hold devices stay unmarked; leaves (pods) and devices are marked.
      const nodes = this.cy.nodes().filter((el) => (el.data('ifname') !== undefined ? on(el.data('namespace'), el.data('ifname')) : el.isChildless() && on(el.data('namespace'), undefined)));
      nodes.addClass('on-path');
      const edges = this.cy.edges().filter((e) => (e.source().hasClass('on-path') && e.target().hasClass('on-path')) || (e.data('kind') !== 'bridge-port' && on(e.data('namespace'), e.data('ifname')) && (e.source().hasClass('on-path') || e.target().hasClass('on-path'))));
      edges.addClass('on-path');
      n = nodes.length + edges.length;
    });
    return n;
  }

  /** Labels of what is drawn (the end-to-end test reads them through the page). */
  labels(): string[] {
    return this.cy.nodes().map((n) => String(n.data('label')));
  }
}

function sameData(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => a[k] === b[k]);
}

function rank(def: ElementDefinition): number {
  if (def.group === 'edges') return 2;
  return def.data.parent ? 1 : 0;
}
