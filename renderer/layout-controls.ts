// The screen's resizable parts by pointer and by keyboard: the side pane (overview or guide) and
// the terminal panel are separators that arrow keys move; the graph pans and zooms from keys.
import { byId } from './dom.js';
import type { TopologyView } from './topology-view.js';

export function setupSplitters(d: { onResize: () => void; onSideResized: (percent: number) => void }): void {
  const main = byId('main');
  const bench = byId('workbench');
  const panel = byId('panel-splitter');
  const setPanel = (height: number): void => {
    const r = main.getBoundingClientRect();
    main.style.setProperty('--panel-height', `${Math.min(Math.max(height, 80), r.height - 120)}px`);
    d.onResize();
  };
  drag(panel, (ev) => setPanel(main.getBoundingClientRect().bottom - ev.clientY));
  panel.addEventListener('keydown', (e) => {
    const now = byId('panel').getBoundingClientRect().height;
    if (e.key === 'ArrowUp') setPanel(now + 24);
    else if (e.key === 'ArrowDown') setPanel(now - 24);
    else return;
    e.preventDefault();
  });

  const side = byId('side-splitter');
  const setSide = (percent: number): number => {
    const pct = Math.round(Math.min(70, Math.max(15, percent)));
    bench.style.setProperty('--side-width', `${pct}%`);
    side.setAttribute('aria-valuenow', String(pct));
    d.onResize();
    return pct;
  };
  let last = 0;
  drag(
    side,
    (ev) => {
      const r = bench.getBoundingClientRect();
      last = setSide(((ev.clientX - r.left) / r.width) * 100);
    },
    () => d.onSideResized(last),
  );
  side.addEventListener('keydown', (e) => {
    const now = Number(side.getAttribute('aria-valuenow')) || 33;
    if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
    e.preventDefault();
    d.onSideResized(setSide(now + (e.key === 'ArrowRight' ? 3 : -3)));
  });
}

function drag(el: HTMLElement, move: (ev: PointerEvent) => void, end: () => void = () => {}): void {
  el.addEventListener('pointerdown', (e) => {
    el.setPointerCapture(e.pointerId);
    const up = (): void => {
      el.removeEventListener('pointermove', move);
      el.removeEventListener('pointerup', up);
      end();
    };
    el.addEventListener('pointermove', move);
    el.addEventListener('pointerup', up);
  });
}

/**
 * Keyboard for the graph (it has focus): arrows move the selected shape (Shift: further) or, with
 * nothing selected, pan; Escape unselects; + / - zoom, 0 fits, Enter opens a cluster.
 */
export function setupGraphKeys(el: HTMLElement, topo: TopologyView): void {
  el.addEventListener('keydown', (e) => {
    if (topo.moveSelected(e.key, e.shiftKey)) {
      e.preventDefault();
      return;
    }
    const step = 60;
    const keys: Record<string, () => void> = {
      ArrowLeft: () => topo.panBy(step, 0),
      ArrowRight: () => topo.panBy(-step, 0),
      ArrowUp: () => topo.panBy(0, step),
      ArrowDown: () => topo.panBy(0, -step),
      '+': () => topo.zoomBy(1.25),
      '=': () => topo.zoomBy(1.25),
      '-': () => topo.zoomBy(0.8),
      '0': () => topo.fit(),
      Enter: () => topo.openSelectedCluster(),
      Escape: () => topo.clearSelection(),
    };
    const f = keys[e.key];
    if (!f) return;
    e.preventDefault();
    f();
  });
}
