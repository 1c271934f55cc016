// Export of the drawn topology: PNG from cytoscape's renderer, SVG written here from the shapes'
// boxes and lines (vector, so it stays sharp in a document; text is real text, not pixels).
import { h } from './dom.js';
import type { shapes as shapesOf } from './topology-inspect.js';

const FILL: Record<string, string> = {
  'ns-pod': '#2f5d46',
  'ns-cluster': '#2f5d46',
  'ns-docker': '#3d4f6b',
  'ns-underlay': '#c678dd',
  'ns-gateway': '#e5c07b',
  'ns-internet': '#e5c07b',
  'dev-bridge': '#5a4a2a',
  'dev-vxlan': '#5b3a3a',
  'dev-veth': '#344b5e',
};

function esc(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

export function topologySvg(drawn: ReturnType<typeof shapesOf>, background: string): string {
  const { nodes, edges } = drawn;
  if (nodes.length === 0) return '<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>';
  const x0 = Math.min(...nodes.map((n) => n.x)) - 20;
  const y0 = Math.min(...nodes.map((n) => n.y)) - 30;
  const x1 = Math.max(...nodes.map((n) => n.x + n.w)) + 20;
  const y1 = Math.max(...nodes.map((n) => n.y + n.h)) + 20;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="${x0} ${y0} ${x1 - x0} ${y1 - y0}" width="${Math.round(x1 - x0)}" height="${Math.round(y1 - y0)}" font-family="system-ui, sans-serif">`,
    `<rect x="${x0}" y="${y0}" width="${x1 - x0}" height="${y1 - y0}" fill="${background}"/>`,
  ];
  // Boxes first (behind), then lines, then the shapes inside the boxes.
  for (const n of nodes.filter((n) => n.parent)) {
    out.push(
      `<g><rect x="${n.x}" y="${n.y}" width="${n.w}" height="${n.h}" rx="8" fill="#61afef" fill-opacity="0.12" stroke="#61afef"/><text x="${n.x + n.w / 2}" y="${n.y - 6}" text-anchor="middle" font-size="13" font-weight="bold" fill="#d7dae0">${esc(n.label)}</text></g>`,
    );
  }
  for (const e of edges) {
    const dash =
      e.kind === 'vxlan'
        ? ' stroke-dasharray="6 4" stroke="#e06c75"'
        : e.kind === 'bridge-port'
          ? ' stroke-dasharray="2 3" stroke="#7f8899"'
          : ' stroke="#7f8899"';
    out.push(`<line x1="${e.x1}" y1="${e.y1}" x2="${e.x2}" y2="${e.y2}" stroke-width="1.5"${dash}/>`);
  }
  for (const n of nodes.filter((n) => !n.parent)) {
    const lines = n.label.split('\n');
    const text = lines
      .map((l, i) => `<tspan x="${n.x + n.w / 2}" dy="${i === 0 ? -(lines.length - 1) * 5.5 : 11}">${esc(l)}</tspan>`)
      .join('');
    out.push(
      `<g><rect x="${n.x}" y="${n.y}" width="${n.w}" height="${n.h}" rx="5" fill="${FILL[n.kind] ?? '#3b4252'}" stroke="#5c6370"/><text x="${n.x + n.w / 2}" y="${n.y + n.h / 2 + 3}" text-anchor="middle" font-size="9" fill="#e6e9ef">${text}</text></g>`,
    );
  }
  out.push('</svg>');
  return out.join('\n');
}

/** Saves a blob as a file through a temporary link (works in Electron and a browser alike). */
export function download(name: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
