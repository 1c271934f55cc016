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
  layout: boolean;
  nodes: number;
  edges: number;
}

const STYLE: cytoscape.StylesheetJson = [
  { selector: 'node', style: { label: 'data(label)', 'text-wrap': 'wrap', 'font-size': 10, color: '#d7dae0', 'text-valign': 'center', 'text-halign': 'center', 'background-color': '#3b4252', 'border-width': 1, 'border-color': '#5c6370', width: 64, height: 30, shape: 'round-rectangle', 'font-family': 'system-ui, sans-serif' } },
  { selector: ':parent', style: { 'text-valign': 'top', 'text-halign': 'center', 'background-opacity': 0.12, 'background-color': '#61afef', 'border-color': '#61afef', 'font-size': 12, 'font-weight': 'bold', padding: '12px', shape: 'round-rectangle' } },
  { selector: 'node[kind = "ns-underlay"]', style: { 'background-color': '#c678dd', 'border-color': '#c678dd' } },
  { selector: 'node[kind = "ns-gateway"], node[kind = "ns-internet"]', style: { 'background-color': '#e5c07b', 'border-color': '#e5c07b' } },
  { selector: 'node[kind = "ns-pod"]', style: { 'background-color': '#2f5d46', 'border-color': '#98c379', shape: 'round-rectangle', width: 104, height: 46, 'font-size': 9 } },
  { selector: 'node[kind = "ns-docker"]', style: { 'background-color': '#3d4f6b', 'border-color': '#61afef', shape: 'ellipse', width: 92, height: 40 } },
  { selector: 'node[kind ^= "dev-"]', style: { width: 100, 'font-size': 9 } },
  { selector: 'node[kind = "dev-bridge"]', style: { 'background-color': '#5a4a2a', 'border-color': '#e5c07b' } },
  { selector: 'node[kind = "dev-vxlan"]', style: { 'background-color': '#5b3a3a', 'border-color': '#e06c75' } },
  { selector: 'node[kind = "dev-veth"]', style: { 'background-color': '#344b5e' } },
  { selector: 'edge', style: { width: 1.5, 'line-color': '#7f8899', 'curve-style': 'bezier', label: 'data(label)', 'font-size': 8, color: '#9aa3b2', 'text-rotation': 'autorotate', 'text-background-color': '#1b1d23', 'text-background-opacity': 0.8, 'text-background-padding': '1px' } },
  // Tunnels arc below the node boxes so they do not run through cni0 on the way.
  { selector: 'edge[kind = "vxlan"]', style: { 'line-style': 'dashed', 'line-color': '#e06c75', width: 2, color: '#e06c75', 'curve-style': 'unbundled-bezier', 'control-point-distances': [-70], 'control-point-weights': [0.5], 'z-index': 0 } },
  { selector: 'edge[kind = "bridge-port"]', style: { 'line-style': 'dotted' } },
  { selector: ':selected', style: { 'border-width': 3, 'border-color': '#7fd1ff', 'line-color': '#7fd1ff' } },
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
      if (e.target === this.cy) return this.onSelect(undefined);
      const d = e.target.data() as ViewNode | ViewEdge;
      this.onSelect({ namespace: d.namespace, ifname: d.ifname, label: 'label' in d && d.label ? String(d.label).replace('\n', ' ') : d.namespace });
    });
  }

  /** Applies a new graph; returns how long drawing took. */
  update(graph: TopologyGraph): DrawTiming {
    const t0 = performance.now();
    const view = projectTopology(graph);
    this.lastView = view;
    const wanted = new Map<string, ElementDefinition>();
    for (const n of view.nodes) wanted.set(n.id, { group: 'nodes', data: { ...n } });
    for (const e of view.edges) wanted.set(e.id, { group: 'edges', data: { ...e } });
    const shape = [...wanted.keys()].sort().join('\n');
    const reshaped = shape !== this.lastShape;
    this.cy.batch(() => {
      this.cy.elements().forEach((el) => {
        if (!wanted.has(el.id())) el.remove();
      });
      const toAdd: ElementDefinition[] = [];
      for (const [id, def] of wanted) {
        const el = this.cy.getElementById(id);
        if (el.empty()) toAdd.push(def);
        else if (JSON.stringify(el.data()) !== JSON.stringify(def.data)) el.data(def.data);
      }
      // Parents first: cytoscape needs a compound parent to exist before its children.
      toAdd.sort((a, b) => rank(a) - rank(b));
      this.cy.add(toAdd);
    });
    if (reshaped) {
      this.lastShape = shape;
      this.layout();
    }
    return { drawMs: performance.now() - t0, layout: reshaped, nodes: view.nodes.length, edges: view.edges.length };
  }

  setLayout(name: LayoutName): void {
    this.layoutName = name;
    this.fitted = false;
    this.layout();
  }

  private layout(): void {
    if (this.layoutName === 'lab' && this.lastView) {
      const pos = labLayout(this.lastView);
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

  fit(): void {
    this.cy.fit(undefined, 20);
  }

  resize(): void {
    this.cy.resize();
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

  /** Labels of what is drawn (the end-to-end test reads them through the page). */
  labels(): string[] {
    return this.cy.nodes().map((n) => String(n.data('label')));
  }
}

function rank(def: ElementDefinition): number {
  if (def.group === 'edges') return 2;
  return def.data.parent ? 1 : 0;
}
