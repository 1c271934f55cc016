// Read-only views of what the topology draws: PNG and shapes for export, label sizes on screen
// and positions for the end-to-end tests (window.kubewireDebug).
import type { Core } from 'cytoscape';

/** The drawn picture as PNG (cytoscape's own renderer, at twice the resolution). */
export function png(cy: Core, background: string): Blob {
  return cy.png({ output: 'blob', full: true, scale: 2, bg: background }) as unknown as Blob;
}

/** What is drawn, for the SVG export (renderer/graph-export.ts). */
export function shapes(cy: Core): {
  nodes: { id: string; label: string; kind: string; parent: boolean; x: number; y: number; w: number; h: number }[];
  edges: { x1: number; y1: number; x2: number; y2: number; kind: string }[];
} {
  const nodes = cy.nodes().map((n) => {
    const bb = n.boundingBox({ includeLabels: false });
    return {
      id: n.id(),
      label: String(n.data('label') ?? ''),
      kind: String(n.data('kind') ?? ''),
      parent: n.isParent(),
      x: bb.x1,
      y: bb.y1,
      w: bb.w,
      h: bb.h,
    };
  });
  const edges = cy.edges().map((e) => ({
    x1: e.sourceEndpoint().x,
    y1: e.sourceEndpoint().y,
    x2: e.targetEndpoint().x,
    y2: e.targetEndpoint().y,
    kind: String(e.data('kind')),
  }));
  return { nodes, edges };
}

/** Label sizes as drawn now, in screen px (the e2e test checks they are readable). */
export function screenFontSizes(cy: Core): { label: string; px: number; visible: boolean }[] {
  const z = cy.zoom();
  return cy.nodes().map((n) => ({
    label: String(n.data('label')),
    px: parseFloat(String(n.style('font-size'))) * z,
    visible: String(n.style('label')) !== '' && n.visible(),
  }));
}

/** Where a shape is, in the graph's coordinates and on screen (tests drag shapes with these). */
export function position(
  cy: Core,
  id: string,
): { model: { x: number; y: number }; screen: { x: number; y: number } } | undefined {
  const n = cy.getElementById(id);
  if (n.empty()) return undefined;
  const box = cy.container()!.getBoundingClientRect();
  const r = n.renderedPosition();
  return { model: { ...n.position() }, screen: { x: box.left + r.x, y: box.top + r.y } };
}
