// The renderer's composition root: connects to the server this page came from (the session cookie
// authenticates both fetch and WebSocket), and wires the lab list, topology, details and terminals.
import '@xterm/xterm/css/xterm.css';
import type { TopologyGraph } from '../common/topology-model.js';
import { ApiClient } from './api-client.js';
import { renderDetails } from './details-panel.js';
import { byId } from './dom.js';
import { renderNamespaceList } from './namespace-list.js';
import { PathPanel } from './path-panel.js';
import { ProgressIndicator } from './progress.js';
import { SocketClient } from './socket-client.js';
import { TerminalTabs } from './terminal-tabs.js';
import { IptablesView } from './iptables-view.js';
import { ClusterView } from './cluster-view.js';
import { GuidePanel } from './guide-panel.js';
import { TopologyView, type DrawTiming, type Selection } from './topology-view.js';

/** What the desktop shell's preload exposes (absent in a plain browser). */
interface DesktopBridge {
  openExternal(url: string): Promise<void>;
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

function main(): void {
  const api = new ApiClient(location.origin);
  const socket = new SocketClient(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`);
  const progress = new ProgressIndicator(byId('progress'));
  const statusError = byId('status-error');
  const showError = (msg: string): void => {
    statusError.textContent = msg;
    statusError.title = msg;
  };
  const bridge = (window as unknown as { kubewire?: DesktopBridge }).kubewire;
  const openLink = (url: string): void => {
    if (!/^https?:\/\//.test(url)) return;
    if (bridge) void bridge.openExternal(url);
    else window.open(url, '_blank', 'noopener,noreferrer');
  };

  const terminals = new TerminalTabs({
    api,
    socket,
    tabBar: byId('terminal-tabs'),
    panes: byId('terminal-panes'),
    searchInput: byId<HTMLInputElement>('terminal-search'),
    openLink,
    onError: showError,
    now: () => performance.now(),
  });
  const openTerminal = (ns: string): void => {
    byId('terminal-empty').hidden = true;
    progress.track(`Opening a shell in ${ns}`, terminals.open(ns)).catch((err: unknown) => showError(String(err)));
  };

  let selected: Selection | undefined;
  const details = byId('details');
  const topo = new TopologyView(byId('cy'), (sel) => {
    selected = sel;
    details.hidden = !sel;
    if (!sel) return;
    byId('details-title').textContent = sel.ifname ? `${sel.ifname} in ${sel.namespace}` : sel.namespace;
    progress
      .track('Reading device details', api.call('device.details', sel.ifname ? { namespace: sel.namespace, ifname: sel.ifname } : { namespace: sel.namespace }))
      .then((d) => renderDetails(byId('details-body'), d))
      .catch((err: unknown) => showError(String(err)));
    // The panel takes room from the graph: let the grid settle, then tell cytoscape.
    requestAnimationFrame(() => topo.resize());
  });
  byId('details-terminal').addEventListener('click', () => {
    if (selected) openTerminal(selected.namespace);
  });
  byId('fit-topology').addEventListener('click', () => topo.fit());
  const layoutSelect = byId<HTMLSelectElement>('layout-select');
  layoutSelect.addEventListener('change', () => topo.setLayout(layoutSelect.value === 'force' ? 'force' : 'lab'));

  // The path tracer sits under the lab list and draws its hops on the topology.
  const pathPanel = new PathPanel({ api, highlight: (pts) => void (document.body.dataset.pathMarked = String(topo.highlightPath(pts))), track: (what, p) => progress.track(what, p), onError: showError });
  byId('sidebar').insertBefore(pathPanel.el, byId('sidebar').children[1] ?? null);
  const iptables = new IptablesView({ api, progress, root: byId('view-iptables'), onError: showError, intervalMs: 1000 });
  const guide = new GuidePanel({ api, progress, root: byId('guide'), terminals, onError: showError });
  void guide.load();
  const clusterView = new ClusterView({ api, socket, progress, root: byId('view-cluster'), onError: showError, now: () => Date.now() });
  let currentView = 'topology';
  const showView = (view: string, namespace?: string): void => {
    currentView = view;
    for (const t of document.querySelectorAll<HTMLElement>('.view-tab')) t.classList.toggle('active', t.dataset.view === view);
    for (const v of ['topology', 'cluster', 'iptables']) byId(`view-${v}`).hidden = v !== view;
    byId('topology-tools').hidden = view !== 'topology';
    if (view === 'topology') topo.resize();
    if (view === 'iptables') iptables.show(namespace);
    else iptables.hide();
    if (view === 'cluster') clusterView.show();
    else clusterView.hide();
  };
  byId('details-iptables').addEventListener('click', () => {
    if (selected) showView('iptables', selected.namespace);
  });

  let graph: TopologyGraph | undefined;
  const drawStats: number[] = [];
  const paints: (DrawTiming & { received: number; drawn: number; painted: number })[] = [];
  socket.onMessage((m) => {
    if (m.type === 'hello') byId('lab-name').textContent = `lab ${m.session.prefix}${m.session.root ? '' : ' (not root: terminals and topology need root)'}`;
    if (m.type === 'error') showError(`${m.error.code}: ${m.error.message}`);
    if (m.type === 'terminals' && m.terminals.length) byId('terminal-empty').hidden = true;
    if (m.type !== 'topology') return;
    graph = m.graph;
    const received = performance.now();
    const t = topo.update(m.graph);
    drawStats.push(t.drawMs);
    // Painted = two animation frames later (cytoscape renders on the next frame).
    requestAnimationFrame(() => requestAnimationFrame(() => paints.push({ ...t, received, drawn: received + t.drawMs, painted: performance.now() })));
    document.body.dataset.topologyRevision = String(drawStats.length);
    byId('status-topology').textContent = `${m.graph.namespaces.length} namespaces · read ${m.readMs.toFixed(0)} ms · draw ${t.drawMs.toFixed(0)} ms`;
    const g = m.graph;
    pathPanel.setNamespaces(g.namespaces);
    iptables.setNamespaces(g.namespaces.filter((n) => n.kind !== 'pod' && n.kind !== 'docker'));
    byId('lab-summary').hidden = g.namespaces.length > 0;
    renderNamespaceList(
      byId('namespace-list'),
      g.namespaces,
      (ns) => g.devices.find((d) => d.namespace === ns && d.addresses.some((a) => !a.includes(':') && !a.startsWith('127.')) && (d.ifname === 'eth0' || d.kind !== 'veth'))?.addresses[0],
      openTerminal,
    );
  });
  // The server polls the kernel only while someone watches: a hidden page stops watching.
  const watchTopology = (): void => socket.send({ type: document.hidden ? 'topology.unsubscribe' : 'topology.subscribe' });
  socket.onOpen(watchTopology);
  document.addEventListener('visibilitychange', watchTopology);
  socket.onState((up) => {
    const el = byId('connection');
    el.textContent = up ? 'connected' : 'reconnecting';
    el.className = `pill ${up ? 'ok' : 'bad'}`;
  });

  setInterval(() => {
    const xs = terminals.echoSamples;
    if (xs.length) byId('status-echo').textContent = `echo p50 ${percentile(xs, 50).toFixed(1)} ms · p99 ${percentile(xs, 99).toFixed(1)} ms (${xs.length})`;
  }, 1000);

  for (const tab of document.querySelectorAll<HTMLButtonElement>('.view-tab')) tab.addEventListener('click', () => showView(tab.dataset.view ?? 'topology'));
  document.addEventListener('visibilitychange', () => {
    if (currentView === 'iptables') showView('iptables');
  });
  setupSplitter(() => topo.resize());
  socket.connect();
  // For tests and the curious: what is drawn and how fast the shell echoes.
  (window as unknown as Record<string, unknown>).kubewireDebug = { labels: () => topo.labels(), tap: (id: string) => topo.tap(id), echoSamples: terminals.echoSamples, drawStats, paints, setLayout: (name: 'lab' | 'force') => topo.setLayout(name), graph: () => graph, activeTerminal: () => terminals.activeId() };
}

function setupSplitter(onResize: () => void): void {
  const splitter = byId('panel-splitter');
  const mainEl = byId('main');
  splitter.addEventListener('pointerdown', (e) => {
    splitter.setPointerCapture(e.pointerId);
    const move = (ev: PointerEvent): void => {
      const r = mainEl.getBoundingClientRect();
      const height = Math.min(Math.max(r.bottom - ev.clientY, 80), r.height - 120);
      mainEl.style.setProperty('--panel-height', `${height}px`);
      onResize();
    };
    const up = (): void => {
      splitter.removeEventListener('pointermove', move);
      splitter.removeEventListener('pointerup', up);
    };
    splitter.addEventListener('pointermove', move);
    splitter.addEventListener('pointerup', up);
  });
}

main();
