// The topology's cytoscape stylesheet, per theme and zoom. Labels by zoom level: far out, device
// labels give way and the names that orient you (node boxes, pod clusters, pods) are scaled so
// they stay ~12 px on screen; close in, everything shows at its own size.
import type cytoscape from 'cytoscape';
import type { Theme } from '../common/learner-contract.js';
import { PALETTES } from '../common/graph-palette.js';

export { PALETTES };

/** On-screen size a far-zoomed label is kept at, in px. */
const FAR_LABEL_PX = 12;
/** Below this zoom, device labels (ifname + address) are hidden: they would be under 5 px. */
export const DEVICE_LABEL_ZOOM = 0.55;

export function topologyStyle(theme: Theme, zoom: number): cytoscape.StylesheetJson {
  const c = PALETTES[theme];
  // Names that orient: at least FAR_LABEL_PX on screen whatever the zoom (capped so a box title
  // does not grow past its box).
  const orient = (base: number): number => Math.min(Math.max(base, FAR_LABEL_PX / Math.max(zoom, 0.05)), base * 3.2);
  const far = zoom < DEVICE_LABEL_ZOOM;
  return [
    {
      selector: 'node',
      style: {
        label: 'data(label)',
        'text-wrap': 'wrap',
        'font-size': 10,
        color: c.text,
        'text-valign': 'center',
        'text-halign': 'center',
        'background-color': c.device,
        'border-width': 1,
        'border-color': c.deviceBorder,
        width: 64,
        height: 30,
        shape: 'round-rectangle',
        'font-family': 'system-ui, sans-serif',
        'min-zoomed-font-size': 6,
      },
    },
    {
      selector: ':parent',
      style: {
        'text-valign': 'top',
        'text-halign': 'center',
        'background-opacity': 0.12,
        'background-color': c.box,
        'border-color': c.box,
        'font-size': orient(13),
        'font-weight': 'bold',
        padding: '12px',
        shape: 'round-rectangle',
        'text-background-color': c.textBg,
        'text-background-opacity': far ? 0.7 : 0,
        'text-background-padding': '2px',
      },
    },
    { selector: 'node[kind = "ns-underlay"]', style: { 'background-color': '#c678dd', 'border-color': '#c678dd' } },
    {
      selector: 'node[kind = "ns-gateway"], node[kind = "ns-internet"]',
      style: { 'background-color': '#e5c07b', 'border-color': '#b8862b' },
    },
    {
      selector: 'node[kind = "ns-pod"]',
      style: { 'background-color': c.pod, 'border-color': c.podBorder, width: 104, height: 46, 'font-size': 9 },
    },
    {
      selector: 'node[kind = "ns-cluster"]',
      style: {
        'background-color': c.pod,
        'border-color': c.podBorder,
        'border-width': 2,
        'border-style': 'double',
        width: 150,
        height: 56,
        'font-size': orient(11),
        'font-weight': 'bold',
        'text-background-color': c.pod,
        'text-background-opacity': far ? 0.9 : 0,
        'text-background-padding': '2px',
      },
    },
    {
      selector: 'node[kind = "ns-docker"]',
      style: {
        'background-color': theme === 'dark' ? '#3d4f6b' : '#dde8f7',
        'border-color': '#61afef',
        width: 104,
        height: 46,
        'font-size': 9,
      },
    },
    {
      selector: 'node[kind ^= "dev-"]',
      style: {
        width: 100,
        'font-size': 9,
        ...(far ? { label: 'data(short)', 'font-size': orient(9) * 0.85, 'text-max-width': '120px' } : {}),
      },
    },
    {
      selector: 'node[kind = "dev-bridge"]',
      style: { 'background-color': theme === 'dark' ? '#5a4a2a' : '#f6e7c4', 'border-color': '#c79a3a' },
    },
    {
      selector: 'node[kind = "dev-vxlan"]',
      style: { 'background-color': theme === 'dark' ? '#5b3a3a' : '#f6d5d8', 'border-color': '#e06c75' },
    },
    { selector: 'node[kind = "dev-veth"]', style: { 'background-color': theme === 'dark' ? '#344b5e' : '#d9e6f2' } },
    ...(far
      ? [
          {
            selector: 'node[kind = "ns-pod"], node[kind = "ns-docker"]',
            style: {
              label: 'data(short)',
              'font-size': orient(9) * 0.85,
              'text-wrap': 'ellipsis' as const,
              'text-max-width': '104px',
            },
          },
        ]
      : []),
    {
      selector: 'edge',
      style: {
        width: 1.5,
        'line-color': c.edge,
        'curve-style': 'bezier',
        'font-size': 8,
        color: c.edgeText,
        'text-rotation': 'autorotate',
        'text-background-color': c.textBg,
        'text-background-opacity': 0.8,
        'text-background-padding': '1px',
        'min-zoomed-font-size': 7,
      },
    },
    // Line labels (veth names) only when zoomed in far enough to read them.
    { selector: 'edge.labelled', style: { label: 'data(label)' } },
    // Tunnels arc below the node boxes; a full mesh is many lines: faint, until an end is selected.
    {
      selector: 'edge[kind = "vxlan"]',
      style: {
        'line-style': 'dashed',
        'line-color': '#e06c75',
        width: 1.5,
        opacity: 0.35,
        color: '#e06c75',
        'curve-style': 'unbundled-bezier',
        'control-point-distances': [-70],
        'control-point-weights': [0.5],
        'z-index': 0,
      },
    },
    { selector: 'edge.hl', style: { opacity: 1, width: 2.5, 'z-index': 10 } },
    { selector: 'edge[kind = "vxlan"].hl', style: { label: 'data(label)' } },
    { selector: 'edge[kind = "bridge-port"]', style: { 'line-style': 'dotted' } },
    { selector: ':selected', style: { 'border-width': 3, 'border-color': c.selected, 'line-color': c.selected } },
    {
      selector: 'node.focus',
      style: {
        'border-width': 4,
        'border-color': c.selected,
        'underlay-color': c.selected,
        'underlay-opacity': 0.25,
        'underlay-padding': 6,
      },
    },
    // A traced path (renderer/path-panel.ts): the devices and lines it crosses.
    { selector: 'node.on-path', style: { 'border-width': 3, 'border-color': c.path } },
    { selector: 'edge.on-path', style: { width: 3.5, 'line-color': c.path, 'z-index': 10 } },
  ];
}

/** The zoom buckets the stylesheet changes at (restyling on every wheel tick would cost frames). */
export function zoomBucket(zoom: number): number {
  if (zoom >= DEVICE_LABEL_ZOOM * 1.6) return 99; // near: nothing scales
  return Math.round(Math.log(zoom) / Math.log(1.25));
}
