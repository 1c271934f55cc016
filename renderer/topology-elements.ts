// What the topology view draws, as cytoscape elements: one per shape and line of the view model
// (with the short label a far zoom shows), and how a new set of them is brought into cytoscape
// changing only what differs: gone ones removed, changed data set, new ones added in place.
import type { Core, ElementDefinition } from 'cytoscape';
import type { Point } from '../common/learner-contract.js';
import { CLUSTER_PREFIX } from '../common/topology-clustering.js';
import type { TopologyView, ViewNode } from '../common/topology-projection.js';

/** The view model's shapes and lines by id, as cytoscape element definitions. */
export function viewElements(view: TopologyView): Map<string, ElementDefinition> {
  const wanted = new Map<string, ElementDefinition>();
  for (const n of view.nodes) wanted.set(n.id, { group: 'nodes', data: { ...n, short: shortLabel(n) } });
  for (const e of view.edges) wanted.set(e.id, { group: 'edges', data: { ...e } });
  return wanted;
}

/**
 * Makes cytoscape's elements the wanted ones in one batch. With `pos` (a lab layout of a changed
 * shape), new shapes are added at their place and the others move there.
 */
export function applyElements(
  cy: Core,
  wanted: Map<string, ElementDefinition>,
  pos: Map<string, Point> | undefined,
): void {
  cy.batch(() => {
    const toAdd: ElementDefinition[] = [];
    if (cy.elements().empty()) {
      toAdd.push(...wanted.values());
    } else {
      cy.elements().forEach((el) => {
        if (!wanted.has(el.id())) el.remove();
      });
      for (const [id, def] of wanted) {
        const el = cy.getElementById(id);
        if (el.empty()) toAdd.push(def);
        else if (!sameData(el.data() as Record<string, unknown>, def.data)) el.data(def.data);
      }
    }
    if (pos) {
      for (const def of toAdd) {
        const p = def.group === 'nodes' ? pos.get(def.data.id!) : undefined;
        if (p) def.position = { ...p };
      }
      cy.nodes().forEach((n) => {
        const p = pos.get(n.id());
        if (p && !n.isParent()) n.position(p);
      });
    }
    // Parents first: cytoscape needs a compound parent to exist before its children.
    toAdd.sort((a, b) => rank(a) - rank(b));
    cy.add(toAdd);
  });
}

/** The one line a far-zoomed shape shows: a device's name, a pod's name, a cluster's count. */
function shortLabel(n: ViewNode): string {
  if (n.id.startsWith(CLUSTER_PREFIX)) return n.label.replace('\n', ' · ');
  return n.label.split('\n')[0] ?? '';
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
