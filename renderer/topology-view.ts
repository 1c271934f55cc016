// The live topology drawn with cytoscape: elements come from common/topology-projection.ts (pods
// clustered per node in big labs, common/topology-clustering.ts); an update adds/removes/changes
// only what differs and lays out again only when the shape changed. Positions the user dragged are
// kept (and saved per lab by the caller); "show me" aims the view at named devices. The element
// diff is topology-elements.ts, a traced path's marks topology-path-marks.ts.
import cytoscape, { type Core } from 'cytoscape';
import {
  projectTopology,
  type TopologyView as ViewModel,
  type ViewEdge,
  type ViewNode,
} from '../common/topology-projection.js';
import { labLayout } from '../common/topology-layout.js';
import type { TopologyGraph } from '../common/topology-model.js';
import { clusterPods, clusterOf } from '../common/topology-clustering.js';
import type { Point, Theme } from '../common/learner-contract.js';
import { applyElements, viewElements } from './topology-elements.js';
import { markPath } from './topology-path-marks.js';
import { PALETTES, topologyStyle, zoomBucket } from './topology-style.js';
import { shapeMoveOffset } from '../common/shape-move-keys.js';

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

export type LayoutName = 'lab' | 'force';

export class TopologyView {
  private readonly cy: Core;
  private lastShape = '';
  private lastView: ViewModel | undefined;
  private fitted = false;
  private layoutName: LayoutName = 'lab';
  private theme: Theme = 'dark';
  private bucket = NaN;
  private lastGraph: TopologyGraph | undefined;
  /** Pods clustered per node in big labs (off: every pod drawn, as the benchmark's baseline). */
  private clustering = true;
  private readonly expanded = new Set<string>();
  /** Positions the user dragged shapes to (restored from the saved layout). */
  private saved = new Map<string, Point>();

  constructor(
    container: HTMLElement,
    private readonly onSelect: (s: Selection | undefined) => void,
    private readonly onLayoutChanged: (positions: Record<string, Point>) => void = () => {},
  ) {
    this.cy = cytoscape({
      container,
      style: topologyStyle('dark', 1),
      wheelSensitivity: 0.3,
      minZoom: 0.05,
      maxZoom: 4,
      boxSelectionEnabled: false,
    });
    this.cy.on('dragfree', 'node', () => this.saveLayout());
    // A cluster opens into its pods (double click, or Enter on the keyboard: see openCluster).
    this.cy.on('dbltap', 'node[kind = "ns-cluster"]', (e) => this.openCluster(String(e.target.data('namespace'))));
    this.cy.on('tap', (e) => {
      this.cy.edges('.hl').removeClass('hl');
      if (e.target === this.cy) {
        // A click on the background lets go of what Find marked too (arrows pan again, not move it).
        this.cy.nodes('.focus').removeClass('focus');
        return this.onSelect(undefined);
      }
      // Light up the lines of what was clicked (for a node box: of everything inside it).
      const el = e.target as cytoscape.NodeSingular;
      (el.isNode() ? el.union(el.descendants()).connectedEdges() : el).addClass('hl');
      const d = e.target.data() as ViewNode | ViewEdge;
      this.onSelect({
        namespace: d.namespace,
        ifname: d.ifname,
        label: 'label' in d && d.label ? String(d.label).replace('\n', ' ') : d.namespace,
      });
    });
    this.cy.on('zoom', () => {
      this.updateEdgeLabels();
      this.restyleForZoom();
    });
  }

  /** Restyles only when the zoom crosses a bucket (labels by zoom level). */
  private restyleForZoom(force = false): void {
    const b = zoomBucket(this.cy.zoom());
    if (b === this.bucket && !force) return;
    this.bucket = b;
    this.cy.style(topologyStyle(this.theme, this.cy.zoom()));
  }

  setTheme(theme: Theme): void {
    this.theme = theme;
    this.restyleForZoom(true);
  }

  background(): string {
    return PALETTES[this.theme].background;
  }

  /** Applies a saved layout (null: forget it and go back to the computed one). */
  setSavedLayout(positions: Record<string, Point> | null): void {
    this.saved = new Map(Object.entries(positions ?? {}));
    this.lastShape = '';
    this.fitted = false;
    if (this.lastGraph) this.update(this.lastGraph);
  }

  /** Draws the last graph again from nothing, as a first paint would (the benchmark compares modes). */
  redrawFresh(clustering: boolean): DrawTiming | undefined {
    this.clustering = clustering;
    this.cy.elements().remove();
    this.lastShape = '';
    this.fitted = false;
    return this.lastGraph ? this.update(this.lastGraph) : undefined;
  }

  setClustering(on: boolean): void {
    this.clustering = on;
    if (this.lastGraph) this.update(this.lastGraph);
  }

  /** Draws the pods of one node instead of its cluster shape. */
  openCluster(nodeNamespace: string): void {
    this.expanded.add(nodeNamespace);
    if (this.lastGraph) this.update(this.lastGraph);
    const box = this.cy.getElementById(`ns:${nodeNamespace}`);
    if (box.nonempty())
      this.zoomTo(box.union(box.descendants()).union(box.descendants().connectedEdges().connectedNodes()), 1.2);
  }

  /**
   * "Show me": selects the named devices (or namespaces) and zooms to them. A pod inside a
   * cluster opens its node first. Returns how many shapes it found.
   */
  focus(targets: { namespace: string; ifname?: string }[]): number {
    if (this.lastView) {
      const toOpen = targets
        .map((t) => clusterOf(this.lastView!, t.namespace))
        .filter((n): n is string => !!n && !this.expanded.has(n));
      if (toOpen.length && this.lastGraph) {
        for (const n of toOpen) this.expanded.add(n);
        this.update(this.lastGraph);
      }
    }
    const match = (ns: unknown, ifname: unknown, t: { namespace: string; ifname?: string }): boolean =>
      ns === t.namespace && (t.ifname === undefined || ifname === t.ifname);
    // A namespace alone: its box or leaf; a device: its shape, or the line it was folded into (a bridge port veth).
    const nodes = this.cy
      .nodes()
      .filter((n) =>
        targets.some((t) =>
          t.ifname === undefined ? n.id() === `ns:${t.namespace}` : match(n.data('namespace'), n.data('ifname'), t),
        ),
      );
    const lines = this.cy
      .edges()
      .filter((e) => targets.some((t) => t.ifname !== undefined && match(e.data('namespace'), e.data('ifname'), t)));
    const hit = nodes.union(lines.connectedNodes().filter((n) => !n.isParent()));
    this.cy.batch(() => {
      this.cy.nodes('.focus').removeClass('focus');
      this.cy.edges('.hl').removeClass('hl');
      hit.addClass('focus');
      lines.addClass('hl');
    });
    if (hit.nonempty()) this.zoomTo(hit.union(lines), 1.5);
    // One device found (Find, a "show me" link): its details open as if it had been clicked.
    if (hit.length === 1 && lines.empty()) {
      this.cy.elements().unselect();
      hit.select();
      hit.emit('tap');
    }
    return hit.length;
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
    this.lastGraph = graph;
    const full = projectTopology(graph);
    this.lastView = full;
    const view = this.clustering ? clusterPods(full, { minPods: 40, perNode: 4, expanded: this.expanded }) : full;
    const wanted = viewElements(view);
    const shape = [...wanted.keys()].sort().join('\n');
    const reshaped = shape !== this.lastShape;
    // In the lab layout, new shapes are added already in place: no separate layout pass.
    const pos = this.layoutName === 'lab' && reshaped ? labLayout(view, this.aspect()) : undefined;
    if (pos) for (const [id, p] of this.saved) if (pos.has(id)) pos.set(id, p);
    // A first draw: the viewport (and so the zoom-dependent stylesheet) is set while the graph is
    // still empty, so the elements are styled once instead of again after the fit.
    if (pos && !this.fitted) {
      this.fitPositions(pos);
      this.restyleForZoom();
    }
    const t1 = performance.now();
    applyElements(this.cy, wanted, pos);
    const t2 = performance.now();
    if (reshaped) {
      this.lastShape = shape;
      if (pos) {
        if (!this.fitted) this.fitPositions(pos);
        this.fitted = true;
      } else this.layout();
    }
    if (reshaped) this.updateEdgeLabels(true);
    this.restyleForZoom();
    const t3 = performance.now();
    if (this.pathKeys.size) markPath(this.cy, this.pathKeys);
    return {
      drawMs: t3 - t0,
      projectMs: t1 - t0,
      addMs: t2 - t1,
      layoutMs: t3 - t2,
      layout: reshaped,
      nodes: view.nodes.length,
      edges: view.edges.length,
    };
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
      this.cy
        .layout({
          name: 'preset',
          positions: (n: cytoscape.NodeSingular) => pos.get(n.id()) ?? { x: 0, y: 0 },
          fit: !this.fitted,
          padding: 24,
          animate: false,
        } as cytoscape.LayoutOptions)
        .run();
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

  /** Brings these elements into view, no closer than `maxZoom` (one device fitted would fill the screen). */
  private zoomTo(eles: cytoscape.CollectionReturnValue, maxZoom: number): void {
    const bb = eles.boundingBox({});
    const pad = 60;
    const w = this.cy.width();
    const h = this.cy.height();
    if (w <= 0 || h <= 0 || !Number.isFinite(bb.w)) return;
    const zoom = Math.max(
      this.cy.minZoom(),
      Math.min(maxZoom, (w - 2 * pad) / Math.max(bb.w, 1), (h - 2 * pad) / Math.max(bb.h, 1)),
    );
    const cx = (bb.x1 + bb.x2) / 2;
    const cyMid = (bb.y1 + bb.y2) / 2;
    this.cy.animate({ zoom, pan: { x: w / 2 - zoom * cx, y: h / 2 - zoom * cyMid } }, { duration: 300 });
  }

  panBy(x: number, y: number): void {
    this.cy.panBy({ x, y });
  }

  zoomBy(factor: number): void {
    const z = this.cy.zoom() * factor;
    this.cy.zoom({
      level: Math.min(this.cy.maxZoom(), Math.max(this.cy.minZoom(), z)),
      renderedPosition: { x: this.cy.width() / 2, y: this.cy.height() / 2 },
    });
  }

  /** Remembers every shape's position and hands them to be saved (after a drag or a keyboard move). */
  private saveLayout(): void {
    this.cy.nodes().forEach((n) => {
      if (!n.isParent()) this.saved.set(n.id(), { ...n.position() });
    });
    this.onLayoutChanged(Object.fromEntries(this.saved));
  }

  /**
   * The keyboard's drag: moves the selected (or found) shapes by an arrow key and saves the layout
   * as a drag does. A box (node, namespace) moves with everything inside it. Returns false when
   * nothing is selected, so the arrows pan instead.
   */
  moveSelected(key: string, shift: boolean): boolean {
    const sel = this.cy.$('node:selected, node.focus');
    const d = shapeMoveOffset(key, shift, this.cy.zoom());
    if (sel.empty() || !d) return false;
    const leaves = sel
      .union(sel.descendants())
      .nodes()
      .filter((n) => !n.isParent());
    leaves.positions((n) => ({ x: n.position('x') + d.x, y: n.position('y') + d.y }));
    this.saveLayout();
    return true;
  }

  /** Escape: nothing selected any more (arrows pan again). */
  clearSelection(): void {
    this.cy.batch(() => {
      this.cy.elements().unselect();
      this.cy.nodes('.focus').removeClass('focus');
      this.cy.edges('.hl').removeClass('hl');
    });
    this.onSelect(undefined);
  }

  /** Enter on a selected pod cluster opens it (the keyboard's double click). */
  openSelectedCluster(): void {
    const sel = this.cy.$('node:selected, node.focus').filter('[kind = "ns-cluster"]');
    if (sel.nonempty()) this.openCluster(String(sel.first().data('namespace')));
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
    return markPath(this.cy, this.pathKeys);
  }

  /** The cytoscape instance, for read-only inspection (renderer/topology-inspect.ts). */
  get core(): Core {
    return this.cy;
  }

  /** Labels of what is drawn (the end-to-end test reads them through the page). */
  labels(): string[] {
    return this.cy.nodes().map((n) => String(n.data('label')));
  }
}
