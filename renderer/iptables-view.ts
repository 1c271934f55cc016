// The iptables view: a namespace's nat and filter chains as a tree from the built-in chains
// (PREROUTING, OUTPUT, …) through KUBE-SERVICES → KUBE-SVC-… → KUBE-SEP-… → DNAT, with packet
// counters refreshed every second while the view is shown; a counter that moved is highlighted.
import type { ChainView, IptablesView as IptablesData, RuleView, TableView } from '../common/iptables-model.js';
import { BUILTIN_CHAINS } from '../common/iptables-model.js';
import type { ApiClient } from './api-client.js';
import { h } from './dom.js';
import type { ProgressIndicator } from './progress.js';
import { RuleFormatsCompare } from './rule-formats-compare.js';

export interface IptablesViewDeps {
  api: ApiClient;
  progress: ProgressIndicator;
  root: HTMLElement;
  onError: (message: string) => void;
  intervalMs: number;
}

const MAX_DEPTH = 8;

export class IptablesView {
  private namespace: string | undefined;
  private readonly open = new Set<string>();
  private previous = new Map<string, number>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private busy = false;
  private readonly select: HTMLSelectElement;
  private readonly tree: HTMLElement;
  private readonly status: HTMLElement;
  private last: IptablesData | undefined;
  /** A chain a lab's "show me" link asked for: opened and marked in every drawing of its namespace. */
  private aimed: { namespace: string; table: string; chain: string; shown: boolean } | undefined;

  constructor(private readonly d: IptablesViewDeps) {
    this.select = h('select', { class: 'small', id: 'iptables-namespace', 'aria-label': 'namespace' });
    this.select.addEventListener('change', () => {
      this.namespace = this.select.value || undefined;
      this.previous.clear();
      this.aimed = undefined;
      void this.refresh(true);
    });
    const expand = h(
      'button',
      { class: 'small', id: 'iptables-expand', title: 'Unfold every jump that packets took' },
      'Unfold the paths packets took',
    );
    expand.addEventListener('click', () => {
      if (this.last) for (const t of this.last.tables) this.openWithTraffic(t);
      if (this.last) this.render(this.last);
    });
    this.status = h('span', { class: 'muted small' });
    this.tree = h('div', { class: 'ipt-tree', id: 'iptables-tree' });
    const compare = new RuleFormatsCompare({ api: d.api, namespace: () => this.namespace, onError: d.onError });
    const formats = h(
      'button',
      {
        class: 'small',
        id: 'iptables-formats',
        title: "The same Services in two kube-proxy formats (the article's 1.16, today's, nftables)",
      },
      'Compare kube-proxy formats',
    );
    formats.addEventListener('click', () => compare.toggle());
    d.root.replaceChildren(
      h(
        'div',
        { class: 'ipt-head' },
        h('label', { class: 'small muted', for: 'iptables-namespace' }, 'Namespace'),
        this.select,
        expand,
        formats,
        this.status,
      ),
      compare.root,
      this.tree,
    );
  }

  /** Namespaces to choose from (nodes first); keeps the current choice when it still exists. */
  setNamespaces(list: { name: string; label: string; kind: string }[]): void {
    const order = (k: string): number => (k === 'node' ? 0 : k === 'gateway' ? 1 : 2);
    const sorted = [...list].sort((a, b) => order(a.kind) - order(b.kind) || a.label.localeCompare(b.label));
    const key = sorted.map((n) => n.name).join(',');
    if (this.select.dataset.key !== key) {
      this.select.dataset.key = key;
      this.select.replaceChildren(...sorted.map((n) => h('option', { value: n.name }, `${n.kind} ${n.label}`)));
    }
    if (!this.namespace || !sorted.some((n) => n.name === this.namespace)) this.namespace = sorted[0]?.name;
    if (this.namespace) this.select.value = this.namespace;
  }

  show(namespace?: string): void {
    if (namespace) {
      this.namespace = namespace;
      this.select.value = namespace;
    }
    this.hide();
    void this.refresh(true);
    this.timer = setInterval(() => void this.refresh(false), this.d.intervalMs);
  }

  /**
   * Opens, marks and scrolls to a chain of the namespace shown, as soon as its rules are drawn —
   * however long reading them takes (a loaded machine takes seconds), and again on every refresh.
   */
  aim(table: string, chain: string): void {
    if (!this.namespace) return;
    this.aimed = { namespace: this.namespace, table, chain, shown: false };
    if (this.last?.namespace === this.namespace) this.render(this.last);
  }

  hide(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private async refresh(withProgress: boolean): Promise<void> {
    if (!this.namespace || this.busy || document.hidden) return;
    this.busy = true;
    try {
      const work = this.d.api.call('iptables.get', { namespace: this.namespace, tables: ['nat', 'filter'] });
      const data = withProgress
        ? await this.d.progress.track(`Reading iptables of ${this.namespace}`, work)
        : await work;
      if (data.namespace !== this.namespace) return;
      this.last = data;
      this.render(data);
      this.status.textContent = `${data.source} · ${new Date().toLocaleTimeString()}`;
    } catch (err) {
      this.d.onError(String(err));
    } finally {
      this.busy = false;
    }
  }

  private render(data: IptablesData): void {
    const counters = new Map<string, number>();
    const sections = data.tables.map((t) => {
      const chains = new Map(t.chains.map((c) => [c.name, c]));
      const roots = (BUILTIN_CHAINS[t.name] ?? []).map((n) => chains.get(n)).filter((c): c is ChainView => !!c);
      return h(
        'section',
        { class: 'ipt-table', 'data-table': t.name },
        h('h4', {}, `table ${t.name}`),
        ...roots.map((c) => this.chainNode(t.name, c, chains, `${t.name}/${c.name}`, 0, counters, new Set())),
      );
    });
    if (sections.every((s) => s.childElementCount <= 1))
      sections.push(h('p', { class: 'muted' }, 'No rules in this namespace yet.'));
    this.tree.replaceChildren(...sections);
    this.previous = counters;
    if (this.aimed?.namespace === data.namespace) this.markAimed(this.aimed);
  }

  private markAimed(a: { table: string; chain: string; shown: boolean }): void {
    const el = this.tree.querySelector<HTMLDetailsElement>(
      `[data-table="${CSS.escape(a.table)}"] details[data-chain="${CSS.escape(a.chain)}"]`,
    );
    if (!el) {
      this.status.textContent = `no chain ${a.chain} in table ${a.table} here`;
      return;
    }
    el.open = true;
    if (el.dataset.path) this.open.add(el.dataset.path);
    el.classList.add('aimed');
    if (a.shown) return;
    a.shown = true;
    el.scrollIntoView({ block: 'start' });
    el.querySelector<HTMLElement>('summary')?.focus();
  }

  private chainNode(
    table: string,
    chain: ChainView,
    chains: Map<string, ChainView>,
    path: string,
    depth: number,
    counters: Map<string, number>,
    seen: Set<string>,
  ): HTMLElement {
    const head = h(
      'summary',
      { class: 'ipt-chain' },
      h('span', { class: 'ipt-chain-name' }, chain.name),
      chain.policy ? h('span', { class: 'muted' }, ` policy ${chain.policy} · ${chain.packets} pkts`) : '',
    );
    const body = h('div', { class: 'ipt-rules' });
    const box = h('details', { 'data-chain': chain.name, 'data-path': path }, head, body);
    box.open = depth === 0 || this.open.has(path);
    box.addEventListener('toggle', () => {
      if (box.open) this.open.add(path);
      else this.open.delete(path);
    });
    const inner = new Set(seen).add(chain.name);
    chain.rules.forEach((rule, i) => {
      const rpath = `${path}/${i}`;
      counters.set(rpath, rule.packets);
      const moved = this.previous.has(rpath) && this.previous.get(rpath) !== rule.packets;
      const line = this.ruleLine(rule, moved);
      if (rule.jump && depth < MAX_DEPTH && !inner.has(rule.jump)) {
        const target = chains.get(rule.jump)!;
        const child = this.chainNode(table, target, chains, `${rpath}/${rule.jump}`, depth + 1, counters, inner);
        child.querySelector('summary')!.prepend(line);
        child.classList.add('ipt-jump');
        body.append(child);
      } else body.append(h('div', { class: 'ipt-leaf' }, line));
    });
    if (chain.rules.length === 0) body.append(h('div', { class: 'ipt-leaf muted' }, '(no rules)'));
    return box;
  }

  private ruleLine(rule: RuleView, moved: boolean): HTMLElement {
    return h(
      'span',
      { class: `ipt-rule${moved ? ' moved' : ''}${rule.packets > 0 ? ' hit' : ''}`, title: rule.spec },
      h('span', { class: 'ipt-count' }, `${rule.packets}`),
      h('span', { class: 'ipt-target' }, rule.target ?? '—'),
      h(
        'span',
        { class: 'ipt-spec' },
        rule.comment ? `${shortSpec(rule.spec)}   /* ${rule.comment} */` : shortSpec(rule.spec),
      ),
    );
  }

  private openWithTraffic(t: TableView): void {
    const chains = new Map(t.chains.map((c) => [c.name, c]));
    const walk = (chain: ChainView, path: string, depth: number, seen: Set<string>): void => {
      chain.rules.forEach((r, i) => {
        if (!r.jump || r.packets === 0 || depth >= MAX_DEPTH || seen.has(r.jump)) return;
        const p = `${path}/${i}/${r.jump}`;
        this.open.add(p);
        walk(chains.get(r.jump)!, p, depth + 1, new Set(seen).add(r.jump));
      });
    };
    for (const root of BUILTIN_CHAINS[t.name] ?? []) {
      const c = chains.get(root);
      if (c) walk(c, `${t.name}/${root}`, 1, new Set([root]));
    }
  }
}

/** The rule without its comment and target (shown apart). */
function shortSpec(spec: string): string {
  return spec
    .replace(/-m comment --comment ("(?:[^"\\]|\\.)*"|\S+)\s*/, '')
    .replace(/-[jg] \S+\s*/, '')
    .trim();
}
