// The renderer's composition root: connects to the server this page came from (the session cookie
// authenticates both fetch and WebSocket) and wires the overview (labs, namespaces), the lab
// screen (renderer/guide-panel.ts), the views (topology, cluster, iptables, path) and terminals.
import '@xterm/xterm/css/xterm.css';
import type { LabActivity, LearnerState, Theme } from '../common/learner-contract.js';
import type { ShowTarget } from '../common/show-link.js';
import type { TopologyGraph } from '../common/topology-model.js';
import { ActivityBar, describeActivity } from './activity-bar.js';
import { ApiClient } from './api-client.js';
import { ClusterView } from './cluster-view.js';
import { makeConfirm } from './confirm-dialog.js';
import { renderDetails } from './details-panel.js';
import { byId, h } from './dom.js';
import { download, topologySvg } from './graph-export.js';
import { GuidePanel } from './guide-panel.js';
import { IptablesView } from './iptables-view.js';
import { setupGraphKeys, setupSplitters } from './layout-controls.js';
import { renderNamespaceList } from './namespace-list.js';
import { PathPanel } from './path-panel.js';
import { ProgressIndicator } from './progress.js';
import { SocketClient } from './socket-client.js';
import { TerminalTabs } from './terminal-tabs.js';
import * as inspect from './topology-inspect.js';
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
  // Connect first: the handshake runs while the panels below are built (main is synchronous, so
  // the open event and the first frames reach the listeners registered further down).
  socket.connect();
  const progress = new ProgressIndicator(byId('progress'));
  const activity = new ActivityBar({ api, root: byId('activity'), intervalMs: 400 });
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
  let learner: LearnerState | undefined;
  let prefix = 'kw-';

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

  // ---- topology ----
  let selected: Selection | undefined;
  // Layouts are saved per guided lab, or per lab prefix on the overview.
  let labKey = 'kw-';
  let guidedLab: string | null = null;
  const applySavedLayout = (): void => {
    labKey = guidedLab ?? prefix;
    topo.setSavedLayout(learner?.layouts[labKey] ?? null);
  };
  let saveTimer: ReturnType<typeof setTimeout> | undefined;
  const details = byId('details');
  const topo = new TopologyView(
    byId('cy'),
    (sel) => {
      selected = sel;
      details.hidden = !sel;
      if (!sel) return;
      byId('details-title').textContent = sel.ifname ? `${sel.ifname} in ${sel.namespace}` : sel.namespace;
      progress
        .track(
          'Reading device details',
          api.call(
            'device.details',
            sel.ifname ? { namespace: sel.namespace, ifname: sel.ifname } : { namespace: sel.namespace },
          ),
        )
        .then((d) => renderDetails(byId('details-body'), d))
        .catch((err: unknown) => showError(String(err)));
      requestAnimationFrame(() => topo.resize());
    },
    (positions) => {
      // Saved per lab once the user stops dragging.
      if (saveTimer) clearTimeout(saveTimer);
      saveTimer = setTimeout(() => {
        if (learner) learner.layouts[labKey] = positions;
        api
          .call('layout.save', { key: labKey, positions })
          .then(() => {
            // How many layouts the server has acknowledged (what a test waits for before a reload).
            document.body.dataset.layoutSaves = String(Number(document.body.dataset.layoutSaves ?? '0') + 1);
          })
          .catch((err: unknown) => showError(`layout not saved: ${String(err)}`));
      }, 400);
    },
  );
  byId('details-terminal').addEventListener('click', () => {
    if (selected) openTerminal(selected.namespace);
  });
  byId('fit-topology').addEventListener('click', () => topo.fit());
  byId('reset-layout').addEventListener('click', () => {
    if (learner) delete learner.layouts[labKey];
    topo.setSavedLayout(null);
    api.call('layout.save', { key: labKey, positions: null }).catch((err: unknown) => showError(String(err)));
  });
  byId('export-png').addEventListener('click', () =>
    download(`kubewire-${labKey}.png`, inspect.png(topo.core, topo.background())),
  );
  byId('export-svg').addEventListener('click', () =>
    download(
      `kubewire-${labKey}.svg`,
      new Blob([topologySvg(inspect.shapes(topo.core), topo.background())], { type: 'image/svg+xml' }),
    ),
  );
  const layoutSelect = byId<HTMLSelectElement>('layout-select');
  layoutSelect.addEventListener('change', () => topo.setLayout(layoutSelect.value === 'force' ? 'force' : 'lab'));
  const find = byId<HTMLInputElement>('device-find');
  find.addEventListener('change', () => {
    const [ns, ifname] = find.value.split(' in ').reverse();
    const n = ns ? topo.focus([ifname ? { namespace: ns, ifname } : { namespace: ns }]) : 0;
    if (!n) showError(`nothing drawn is called ${find.value}`);
  });

  // ---- views ----
  const pathPanel = new PathPanel({
    api,
    highlight: (pts) => void (document.body.dataset.pathMarked = String(topo.highlightPath(pts))),
    track: (what, p) => progress.track(what, p),
    onError: showError,
  });
  byId('view-path').append(pathPanel.el);
  const iptables = new IptablesView({
    api,
    progress,
    root: byId('view-iptables'),
    onError: showError,
    intervalMs: 1000,
  });
  const openExec = (namespace: string, pod: string): void => {
    byId('terminal-empty').hidden = true;
    progress
      .track(`Opening a shell in ${namespace}/${pod} through the kubelet`, terminals.openExec(namespace, pod))
      .catch((err: unknown) => showError(String(err)));
  };
  const clusterView = new ClusterView({
    api,
    socket,
    progress,
    root: byId('view-cluster'),
    onError: showError,
    now: () => Date.now(),
    openExec,
  });
  let currentView = 'topology';
  const VIEWS = ['topology', 'cluster', 'iptables', 'path'];
  const showView = (view: string, namespace?: string): void => {
    currentView = view;
    for (const t of document.querySelectorAll<HTMLElement>('.view-tab')) {
      t.classList.toggle('active', t.dataset.view === view);
      t.setAttribute('aria-selected', String(t.dataset.view === view));
      t.tabIndex = t.dataset.view === view ? 0 : -1;
    }
    for (const v of VIEWS) byId(`view-${v}`).hidden = v !== view;
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
  const tabs = [...document.querySelectorAll<HTMLButtonElement>('.view-tab')];
  for (const tab of tabs) {
    tab.addEventListener('click', () => showView(tab.dataset.view ?? 'topology'));
    // Arrow keys move between tabs (the WAI-ARIA tabs pattern).
    tab.addEventListener('keydown', (e) => {
      const i = tabs.indexOf(tab);
      const next =
        e.key === 'ArrowRight'
          ? tabs[(i + 1) % tabs.length]
          : e.key === 'ArrowLeft'
            ? tabs[(i + tabs.length - 1) % tabs.length]
            : undefined;
      if (!next) return;
      e.preventDefault();
      next.focus();
      showView(next.dataset.view ?? 'topology');
    });
  }

  /** "Show me" links of a lab step aim a view. */
  const show = (t: ShowTarget): void => {
    if (t.view === 'topology') {
      showView('topology');
      if (!topo.focus(t.devices))
        showError(
          `not drawn (yet): ${t.devices.map((d) => `${d.namespace}${d.ifname ? `/${d.ifname}` : ''}`).join(', ')}`,
        );
    } else if (t.view === 'iptables') {
      showView('iptables', t.namespace);
      if (t.chain) iptables.aim(t.table ?? 'nat', t.chain);
    } else showView(t.view);
  };

  // ---- the lab screen ----
  const confirm = makeConfirm(document.body);
  const guide = new GuidePanel({
    api,
    activity,
    terminals,
    pane: byId('guide-pane'),
    labList: byId('lab-list'),
    confirm,
    show,
    onError: showError,
    checkIntervalMs: 4000,
    onMode: (lab) => setMode(lab),
  });
  const setMode = (lab: string | null): void => {
    document.body.classList.toggle('lab-mode', !!lab);
    byId('sidebar').hidden = !!lab;
    byId('guide-pane').hidden = !lab;
    const pct = learner?.guidePercent ?? 33;
    byId('workbench').style.setProperty('--side-width', lab ? `${pct}%` : '250px');
    byId('side-splitter').setAttribute('aria-valuenow', String(lab ? pct : 20));
    guidedLab = lab;
    applySavedLayout();
    requestAnimationFrame(() => topo.resize());
  };

  // ---- honest waiting: while a lab is built, the graph is not drawn from the half-built kernel ----
  let graph: TopologyGraph | undefined;
  let held: TopologyGraph | undefined;
  const building = byId('building');
  activity.onChange((a: LabActivity | null) => {
    byId('cy-wrap').classList.toggle('building', !!a);
    building.hidden = !a;
    if (a)
      building.textContent = `Building the lab — ${describeActivity(a).label}. The graph is drawn again when it is ready.`;
    else if (held) {
      draw(held);
      held = undefined;
    }
  });

  const drawStats: number[] = [];
  const paints: (DrawTiming & { received: number; drawn: number; painted: number })[] = [];
  let pendingNames: TopologyGraph | undefined;
  let namesScheduled = false;
  const draw = (g: TopologyGraph): void => {
    const received = performance.now();
    const t = topo.update(g);
    drawStats.push(t.drawMs);
    requestAnimationFrame(() =>
      requestAnimationFrame(() => {
        paints.push({ ...t, received, drawn: received + t.drawMs, painted: performance.now() });
        // In a trace (the benchmark's), where the main thread's work up to this paint ends.
        if (paints.length === 1) performance.mark('kubewire:first-topology-paint');
      }),
    );
    document.body.dataset.topologyRevision = String(drawStats.length);
    byId('status-topology').textContent = `${g.namespaces.length} namespaces · draw ${t.drawMs.toFixed(0)} ms`;
    // Find's suggestions (one option per device) wait until the graph is on screen.
    pendingNames = g;
    if (!namesScheduled) {
      namesScheduled = true;
      requestAnimationFrame(() =>
        setTimeout(() => {
          namesScheduled = false;
          const latest = pendingNames!;
          byId<HTMLDataListElement>('device-names').replaceChildren(
            ...latest.devices
              .filter((d) => d.ifname !== 'lo')
              .slice(0, 2000)
              .map((d) => h('option', { value: `${d.ifname} in ${d.namespace}` })),
          );
        }),
      );
    }
  };
  socket.onMessage((m) => {
    if (m.type === 'hello') {
      const changed = prefix !== m.session.prefix;
      prefix = m.session.prefix;
      guide.setPrefix(prefix);
      if (changed && !guidedLab) applySavedLayout();
      byId('lab-name').textContent =
        `lab ${m.session.prefix}${m.session.root ? '' : ' (not root: terminals and topology need root)'}`;
    }
    if (m.type === 'error') showError(`${m.error.code}: ${m.error.message}`);
    if (m.type === 'terminals' && m.terminals.length) byId('terminal-empty').hidden = true;
    if (m.type !== 'topology') return;
    graph = m.graph;
    const g = m.graph;
    guide.setNamespaces(g.namespaces.map((n) => n.name));
    if (activity.activity) held = g;
    else draw(g);
    pathPanel.setNamespaces(g.namespaces);
    iptables.setNamespaces(g.namespaces.filter((n) => n.kind !== 'pod' && n.kind !== 'docker'));
    byId('lab-summary').hidden = g.namespaces.length > 0;
    // Each namespace's first address, from one pass over the devices (a lookup per namespace
    // over all devices cost 200 pods × 900 devices on every frame).
    const addressOf = new Map<string, string>();
    for (const d of g.devices)
      if (
        !addressOf.has(d.namespace) &&
        d.addresses.some((a) => !a.includes(':') && !a.startsWith('127.')) &&
        (d.ifname === 'eth0' || d.kind !== 'veth')
      )
        addressOf.set(d.namespace, d.addresses[0]!);
    renderNamespaceList(byId('namespace-list'), g.namespaces, (ns) => addressOf.get(ns), openTerminal);
  });
  const watchTopology = (): void =>
    socket.send({ type: document.hidden ? 'topology.unsubscribe' : 'topology.subscribe' });
  socket.onOpen(watchTopology);
  document.addEventListener('visibilitychange', watchTopology);
  socket.onState((up) => {
    const el = byId('connection');
    el.textContent = up ? 'connected' : 'reconnecting';
    el.className = `pill ${up ? 'ok' : 'bad'}`;
  });

  // ---- theme ----
  const applyTheme = (theme: Theme): void => {
    document.body.dataset.theme = theme;
    topo.setTheme(theme);
    terminals.setTheme(theme);
    const other = theme === 'dark' ? 'light' : 'dark';
    const b = byId('theme-toggle');
    b.textContent = theme === 'dark' ? '☀ Light' : '☾ Dark';
    b.setAttribute('aria-label', `Switch to the ${other} theme`);
  };
  byId('theme-toggle').addEventListener('click', () => {
    const theme: Theme = document.body.dataset.theme === 'dark' ? 'light' : 'dark';
    applyTheme(theme);
    api.call('learner.prefs', { theme }).then(
      (s) => (learner = s),
      (err: unknown) => showError(String(err)),
    );
  });

  setInterval(() => {
    const xs = terminals.echoSamples;
    if (xs.length)
      byId('status-echo').textContent =
        `echo p50 ${percentile(xs, 50).toFixed(1)} ms · p99 ${percentile(xs, 99).toFixed(1)} ms (${xs.length})`;
  }, 1000);
  document.addEventListener('visibilitychange', () => {
    if (currentView === 'iptables') showView('iptables');
  });
  setupSplitters({
    onResize: () => topo.resize(),
    onSideResized: (pct) => {
      if (!document.body.classList.contains('lab-mode')) return;
      if (learner) learner.guidePercent = pct;
      api.call('learner.prefs', { guidePercent: pct }).catch((err: unknown) => showError(String(err)));
    },
  });
  setupGraphKeys(byId('cy'), topo);

  api.call('learner.get', {}).then(
    (s) => {
      learner = s;
      applyTheme(s.theme);
      if (!guidedLab) applySavedLayout();
      void guide.load();
    },
    (err: unknown) => {
      showError(String(err));
      void guide.load();
    },
  );
  void activity.poll();
  // For tests and the curious: what is drawn and how fast the shell echoes.
  (window as unknown as Record<string, unknown>).kubewireDebug = {
    labels: () => topo.labels(),
    fontSizes: () => inspect.screenFontSizes(topo.core),
    tap: (id: string) => topo.tap(id),
    echoSamples: terminals.echoSamples,
    drawStats,
    paints,
    setLayout: (name: 'lab' | 'force') => topo.setLayout(name),
    setClustering: (on: boolean) => topo.setClustering(on),
    /** Fresh draw of the current graph; resolves when painted (two animation frames later). */
    freshDraw: (clustering: boolean) =>
      new Promise((resolve) => {
        const t0 = performance.now();
        const t = topo.redrawFresh(clustering);
        requestAnimationFrame(() => requestAnimationFrame(() => resolve({ ...t, paintedMs: performance.now() - t0 })));
      }),
    graph: () => graph,
    activeTerminal: () => terminals.activeId(),
    terminalTexts: () => terminals.bufferTexts(),
    svg: () => topologySvg(inspect.shapes(topo.core), topo.background()),
    position: (id: string) => inspect.position(topo.core, id),
  };
  // Every control has its handler now: the page takes input (index.html holds it inert until here,
  // so a click during the load waits instead of landing on a button that does nothing yet).
  document.body.inert = false;
}

main();
