// A traced path on the topology: the devices it crosses (namespace + ifname), the pod leaves it
// starts or ends in, and the lines between them get the on-path class; namespace boxes that hold
// devices stay unmarked.
import type { Core } from 'cytoscape';

/** Marks what `keys` ("namespace/ifname", "namespace/" for a pod leaf) name; returns how many elements. */
export function markPath(cy: Core, keys: ReadonlySet<string>): number {
  const on = (ns: unknown, ifname: unknown): boolean =>
    keys.has(`${String(ns)}/${ifname === undefined ? '' : String(ifname)}`);
  let n = 0;
  cy.batch(() => {
    cy.elements().removeClass('on-path');
    // Namespace boxes that hold devices stay unmarked; leaves (pods) and devices are marked.
    const nodes = cy
      .nodes()
      .filter((el) =>
        el.data('ifname') !== undefined
          ? on(el.data('namespace'), el.data('ifname'))
          : el.isChildless() && on(el.data('namespace'), undefined),
      );
    nodes.addClass('on-path');
    const edges = cy
      .edges()
      .filter(
        (e) =>
          (e.source().hasClass('on-path') && e.target().hasClass('on-path')) ||
          (e.data('kind') !== 'bridge-port' &&
            on(e.data('namespace'), e.data('ifname')) &&
            (e.source().hasClass('on-path') || e.target().hasClass('on-path'))),
      );
    edges.addClass('on-path');
    n = nodes.length + edges.length;
  });
  return n;
}
