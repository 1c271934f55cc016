// The path tracer panel: pick a source (pod or node) and a destination (pod IP, service IP:port,
// node IP:NodePort, a name), then trace (derived from the kernel), trace + probe (ping/curl and
// traceroute confirm each hop), or capture (tcpdump on every hop at once, pcap downloads). The hops
// are drawn on the topology through the highlight callback.
import './path-panel.css';
import type { FilterStep, L2Step, NatStep, PathCapture, PathHop, PathTrace } from '../common/path-model.js';
import type { NamespaceKind } from '../common/lab-names.js';
import type { ApiClient } from './api-client.js';
import { h } from './dom.js';

export interface PathPanelDeps {
  api: ApiClient;
  /** Marks the traced devices on the topology (an empty list clears). */
  highlight: (points: { namespace: string; ifname?: string }[]) => void;
  track: <T>(what: string, p: Promise<T>) => Promise<T>;
  onError: (message: string) => void;
}

export class PathPanel {
  readonly el: HTMLElement;
  private readonly source: HTMLSelectElement;
  private readonly destination: HTMLInputElement;
  private readonly result: HTMLElement;
  private known = '';

  constructor(private readonly d: PathPanelDeps) {
    this.source = h('select', { id: 'path-source', title: 'Where the packet starts: a pod or a node' });
    this.destination = h('input', {
      id: 'path-destination',
      type: 'text',
      placeholder: '192.168.129.10 · 192.168.199.234:8080 · 192.168.192.10:53/udp · google.com',
      title:
        "a pod IP, a service IP:port, a node IP:NodePort, IP:port/udp, or a name (resolved with the source's resolver)",
      spellcheck: 'false',
    });
    this.result = h('div', { id: 'path-result' });
    const button = (id: string, text: string, title: string, run: () => void): HTMLButtonElement => {
      const b = h('button', { id, class: 'small', title }, text);
      b.addEventListener('click', run);
      return b;
    };
    const form = h(
      'div',
      { class: 'path-form' },
      h('label', { for: 'path-source', class: 'small muted' }, 'From'),
      this.source,
      h('label', { for: 'path-destination', class: 'small muted' }, 'To'),
      this.destination,
      h(
        'div',
        { class: 'path-buttons' },
        button(
          'path-trace',
          'Trace',
          'Derive the path from routes, neighbours, FDB and iptables',
          () => void this.trace(false),
        ),
        button(
          'path-probe',
          'Trace + probe',
          'Also run ping/curl and traceroute from the source and confirm each hop',
          () => void this.trace(true),
        ),
        button(
          'path-capture',
          'Capture',
          'tcpdump on every hop while a probe runs; download the pcap files',
          () => void this.capture(),
        ),
        button('path-clear', 'Clear', 'Remove the path from the topology', () => this.clear()),
      ),
    );
    this.destination.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') void this.trace(true);
    });
    this.el = h('section', { class: 'side-section', id: 'path-panel' }, h('h2', {}, 'Path tracer'), form, this.result);
  }

  /** Offers the lab's pods and nodes as sources (kept when the list has not changed). */
  setNamespaces(list: { name: string; kind: NamespaceKind; label: string }[]): void {
    const usable = list.filter(
      (n) =>
        n.kind === 'pod' || n.kind === 'node' || n.kind === 'docker' || n.kind === 'gateway' || n.kind === 'internet',
    );
    const key = usable.map((n) => n.name).join('\n');
    if (key === this.known) return;
    this.known = key;
    const keep = this.source.value;
    this.source.replaceChildren(
      ...usable.map((n) => h('option', { value: n.name }, `${n.kind === 'node' ? 'node ' : ''}${n.label}`)),
    );
    if (usable.some((n) => n.name === keep)) this.source.value = keep;
  }

  private request(): { source: string; destination: string } | undefined {
    const source = this.source.value;
    const destination = this.destination.value.trim();
    if (!source || !destination) {
      this.d.onError('path tracer: choose a source and type a destination');
      return undefined;
    }
    return { source, destination };
  }

  async trace(probe: boolean): Promise<void> {
    const req = this.request();
    if (!req) return;
    try {
      const t = await this.d.track(
        probe ? 'Tracing and probing the path' : 'Tracing the path',
        this.d.api.call('path.trace', { ...req, probe }),
      );
      this.show(t);
    } catch (err) {
      this.d.onError(String(err));
    }
  }

  async capture(): Promise<void> {
    const req = this.request();
    if (!req) return;
    try {
      const c = await this.d.track(
        'Capturing on every hop',
        this.d.api.call('path.capture', { ...req, packets: 20, seconds: 5 }),
      );
      this.show(c.trace, c);
    } catch (err) {
      this.d.onError(String(err));
    }
  }

  clear(): void {
    this.result.replaceChildren();
    this.d.highlight([]);
  }

  private show(t: PathTrace, cap?: PathCapture): void {
    this.d.highlight(pathPoints(t));
    const timing = [
      `derived in ${t.timing.deriveMs} ms`,
      t.timing.probeMs !== undefined ? `probe ${t.timing.probeMs} ms` : '',
      cap ? `capture ${cap.timing.totalMs} ms` : '',
    ]
      .filter(Boolean)
      .join(' · ');
    this.result.replaceChildren(
      h(
        'div',
        { class: `path-outcome ${t.outcome}`, 'data-outcome': t.outcome },
        `${t.outcome} · ${t.hops.length} hop${t.hops.length === 1 ? '' : 's'} · ${timing}`,
      ),
      h(
        'div',
        { class: 'path-endpoint' },
        `${t.source.label} ${t.source.address} → ${t.destination.input}${t.destination.ip !== t.destination.input.split(':')[0] ? ` (${t.destination.ip})` : ''}`,
        t.destination.resolvedBy ? h('div', { class: 'muted small' }, t.destination.resolvedBy) : '',
      ),
      t.source.route ? h('div', { class: 'path-route' }, `out ${t.source.outDev}: ${t.source.route}`) : '',
      ...t.source.nat.map(renderNat),
      t.source.filter ? renderFilter(t.source.filter) : '',
      h('ol', { class: 'path-hops' }, ...t.hops.map(renderHop)),
      ...t.notes.map((n) => h('div', { class: 'path-note' }, n)),
      t.probe ? renderProbe(t) : '',
      cap ? renderFiles(cap) : '',
    );
  }
}

/** The devices a path crosses, for the topology highlight. */
export function pathPoints(t: PathTrace): { namespace: string; ifname?: string }[] {
  const pts: { namespace: string; ifname?: string }[] = [{ namespace: t.source.namespace }];
  if (t.source.outDev) pts.push({ namespace: t.source.namespace, ifname: t.source.outDev });
  for (const hop of t.hops) {
    pts.push({ namespace: hop.namespace }, { namespace: hop.namespace, ifname: hop.inDev });
    if (hop.outDev) pts.push({ namespace: hop.namespace, ifname: hop.outDev });
    for (const s of hop.arrival) {
      if (s.kind === 'veth')
        pts.push({ namespace: s.namespace, ifname: s.dev }, { namespace: s.peerNamespace, ifname: s.peerDev });
      if (s.kind === 'bridge')
        pts.push(
          { namespace: s.namespace, ifname: s.bridge },
          ...(s.port !== 'local' ? [{ namespace: s.namespace, ifname: s.port }] : []),
        );
      if (s.kind === 'vxlan-encap' || s.kind === 'vxlan-decap') pts.push({ namespace: s.namespace, ifname: s.dev });
    }
  }
  return pts;
}

function renderHop(hop: PathHop): HTMLElement {
  const mark = hop.confirmed === null ? '' : hop.confirmed ? ' ✓' : ' ✗';
  return h(
    'li',
    {
      class: `path-hop ${hop.role}`,
      'data-ttl': String(hop.ttl),
      'data-address': hop.address,
      'data-confirmed': String(hop.confirmed),
    },
    h(
      'div',
      { class: 'path-hop-head' },
      h('span', { class: 'path-ttl' }, `${hop.ttl}`),
      h('strong', {}, hop.address),
      ` ${hop.label}`,
      h('span', { class: hop.confirmed ? 'ok' : 'muted' }, mark),
    ),
    h('div', { class: 'muted small' }, `in ${hop.inDev}${hop.outDev ? ` → out ${hop.outDev}` : ' (delivered)'}`),
    h('ul', { class: 'path-l2' }, ...hop.arrival.map((s) => h('li', {}, describeStep(s)))),
    hop.route ? h('div', { class: 'path-route' }, hop.route) : '',
    ...hop.nat.map(renderNat),
    hop.filter ? renderFilter(hop.filter) : '',
  );
}

function renderFilter(f: FilterStep): HTMLElement {
  return h(
    'div',
    { class: 'path-nat path-filter', 'data-verdict': f.verdict },
    h('strong', {}, `${f.verdict} (filter ${f.hook})`),
    h('pre', { class: 'path-rules' }, f.rules.join('\n')),
  );
}

function describeStep(s: L2Step): string {
  switch (s.kind) {
    case 'veth':
      return `veth ${s.dev} → ${s.peerDev} (${shortNs(s.peerNamespace)})`;
    case 'bridge':
      return `${s.bridge}: ${s.mac ?? '(no MAC yet)'} → ${s.port === 'local' ? 'up to IP' : s.port} · ${s.decidedBy}`;
    case 'vxlan-encap':
      return `VXLAN ${s.dev} VNI ${s.vni}: outer ${s.outerSrc} → ${s.outerDst} UDP ${s.udpPort} · neigh ${s.neighbour} · fdb ${s.fdb}`;
    case 'vxlan-decap':
      return `decapsulated on ${s.dev} (${shortNs(s.namespace)})`;
  }
}

function shortNs(ns: string): string {
  return ns.replace(/^kw-([a-z0-9]{1,20}-)?/, '');
}

function renderNat(n: NatStep): HTMLElement {
  const fmt = (p: NatStep['before']): string => `${p.src} → ${p.dst}${p.dport ? `:${p.dport}` : ''}`;
  return h(
    'div',
    { class: 'path-nat', 'data-action': n.action },
    h('div', {}, h('strong', {}, `${n.action} (${n.hook})`), ` ${fmt(n.before)} ⇒ ${fmt(n.after)}`),
    n.candidates
      ? h(
          'div',
          { class: 'small' },
          `endpoints: ${n.candidates.map((c) => `${c.endpoint} ${(c.probability * 100).toFixed(0)}%`).join(', ')}${n.chosenBy ? ` · followed: ${n.chosenBy}` : ''}`,
        )
      : '',
    h('pre', { class: 'path-rules' }, n.rules.join('\n')),
  );
}

function renderProbe(t: PathTrace): HTMLElement {
  const p = t.probe!;
  return h(
    'div',
    { class: `path-probe ${p.reached ? 'ok' : 'bad'}` },
    h('div', {}, p.summary),
    p.traceroute.length
      ? h(
          'div',
          { class: 'small' },
          `traceroute: ${p.traceroute.map((x) => `${x.ttl} ${x.address ?? '*'}${x.note ? ` ${x.note}` : ''}`).join(' · ')}`,
        )
      : '',
    h('div', { class: 'muted small' }, p.commands.map((c) => `# ${c.join(' ')}`).join('\n')),
  );
}

function renderFiles(c: PathCapture): HTMLElement {
  return h(
    'div',
    { class: 'path-files' },
    h(
      'div',
      { class: 'small muted' },
      `pcap files (open in Wireshark) · tcpdumps ready in ${c.timing.startMs} ms, probe ${c.timing.probeMs} ms`,
    ),
    ...c.files.map((f) =>
      h(
        'div',
        { class: 'path-file' },
        h('a', { href: f.url, download: f.name, 'data-role': f.role }, f.name),
        h('span', { class: 'muted small' }, ` ${f.packets} pkts · ${f.role} · ${f.filter}`),
      ),
    ),
  );
}
