// The cluster tables: nodes, pods, deployments, replicasets, services, endpoints and events as
// `kubectl get` shows them, kept live by the server's informers (watch); a row opens its YAML.
import {
  CLUSTER_KINDS,
  formatAge,
  type ClusterKind,
  type ClusterRow,
  type ClusterSnapshot,
} from '../common/cluster-contract.js';
import type { ApiClient } from './api-client.js';
import { h } from './dom.js';
import type { ProgressIndicator } from './progress.js';
import type { SocketClient } from './socket-client.js';

const TITLES: Record<ClusterKind, string> = {
  nodes: 'Nodes',
  pods: 'Pods',
  deployments: 'Deployments',
  replicasets: 'ReplicaSets',
  services: 'Services',
  endpoints: 'Endpoints',
  events: 'Events',
};

export class ClusterView {
  private kind: ClusterKind = 'pods';
  private snapshot: ClusterSnapshot | undefined;
  private shown = false;
  private readonly tabs: HTMLElement;
  private readonly status: HTMLElement;
  private readonly table: HTMLElement;
  private readonly yaml: HTMLElement;

  constructor(
    private readonly d: {
      api: ApiClient;
      socket: SocketClient;
      progress: ProgressIndicator;
      root: HTMLElement;
      onError: (m: string) => void;
      now: () => number;
      openExec?: (namespace: string, pod: string) => void;
    },
  ) {
    this.tabs = h('div', { class: 'kinds', role: 'tablist' });
    this.status = h('span', { class: 'muted small', id: 'cluster-status' });
    this.table = h('div', { class: 'cluster-table', id: 'cluster-table' });
    this.yaml = h('pre', { class: 'cluster-yaml', id: 'cluster-yaml', hidden: '' });
    d.root.replaceChildren(
      h('div', { class: 'cluster-head' }, this.tabs, h('span', { class: 'spacer' }), this.status),
      h('div', { class: 'cluster-body' }, this.table, this.yaml),
    );
    d.socket.onMessage((m) => {
      if (m.type !== 'cluster') return;
      this.snapshot = m.snapshot;
      this.render();
    });
    d.socket.onOpen(() => {
      if (this.shown) d.socket.send({ type: 'cluster.subscribe' });
    });
    setInterval(() => this.shown && this.render(), 5000); // ages move on
  }

  show(): void {
    this.shown = true;
    this.d.socket.send({ type: 'cluster.subscribe' });
    this.render();
  }

  hide(): void {
    if (!this.shown) return;
    this.shown = false;
    this.d.socket.send({ type: 'cluster.unsubscribe' });
  }

  private render(): void {
    const s = this.snapshot;
    this.tabs.replaceChildren(
      ...CLUSTER_KINDS.map((k) => {
        const n = s?.tables.find((t) => t.kind === k)?.rows.length;
        const b = h(
          'button',
          { class: `kind${k === this.kind ? ' active' : ''}`, 'data-kind': k },
          TITLES[k],
          n !== undefined ? h('span', { class: 'muted' }, ` ${n}`) : '',
        );
        b.addEventListener('click', () => {
          this.kind = k;
          this.yaml.hidden = true;
          this.render();
        });
        return b;
      }),
    );
    this.status.textContent = !s
      ? 'connecting…'
      : s.error
        ? s.error
        : `${s.server ?? ''} · ${s.synced ? 'watching' : 'listing…'}`;
    this.status.classList.toggle('error', !!s?.error);
    const t = s?.tables.find((x) => x.kind === this.kind);
    if (!t) {
      this.table.replaceChildren(
        h(
          'p',
          { class: 'muted' },
          s?.error ? "The cluster tables need the lab's apiserver." : 'Waiting for the apiserver…',
        ),
      );
      return;
    }
    const now = this.d.now();
    const ageCol = t.columns.indexOf('AGE');
    const cell = (r: ClusterRow, i: number): string =>
      i === ageCol && r.createdAt !== undefined ? formatAge(now - r.createdAt) : (r.cells[i] ?? '');
    const body = t.rows.map((r) => {
      const tr = h(
        'tr',
        { 'data-name': r.name, ...(r.namespace ? { 'data-namespace': r.namespace } : {}) },
        ...t.columns.map((_, i) => h('td', {}, cell(r, i))),
        h('td', { class: 'row-actions' }, ...this.actions(t.kind, r)),
      );
      tr.addEventListener('click', () => this.openYaml(t.kind, r));
      return tr;
    });
    this.table.replaceChildren(
      h(
        'table',
        {},
        h('thead', {}, h('tr', {}, ...t.columns.map((c) => h('th', {}, c)), h('th', {}, ''))),
        h('tbody', {}, ...body),
      ),
      ...(t.rows.length ? [] : [h('p', { class: 'muted' }, `No ${TITLES[t.kind].toLowerCase()}.`)]),
    );
  }

  /** Row buttons: a pod's terminal through pods/exec; a node's kubelet stopped or started. */
  private actions(kind: ClusterKind, r: ClusterRow): HTMLElement[] {
    const button = (label: string, title: string, attrs: Record<string, string>, fn: () => void) => {
      const b = h('button', { class: 'row-action', title, ...attrs }, label);
      b.addEventListener('click', (e) => {
        e.stopPropagation();
        fn();
      });
      return b;
    };
    if (kind === 'pods' && r.namespace && this.d.openExec) {
      const open = this.d.openExec;
      return [
        button(
          'exec',
          "A shell in the container through the apiserver and the node's kubelet (kubectl exec -it)",
          { 'data-action': 'exec' },
          () => open(r.namespace!, r.name),
        ),
      ];
    }
    if (kind === 'nodes') {
      const kubelet = (action: 'stop' | 'start') => () =>
        void this.d.progress
          .track(`kubelet of ${r.name}: ${action}`, this.d.api.call('node.kubelet', { node: r.name, action }))
          .catch((err: unknown) => this.d.onError(String(err)));
      return [
        button(
          'stop kubelet',
          "Stop this node's kubelet: NotReady after 40 s, then the unreachable taint and evictions",
          { 'data-action': 'kubelet-stop' },
          kubelet('stop'),
        ),
        button(
          'start kubelet',
          "Start this node's kubelet again",
          { 'data-action': 'kubelet-start' },
          kubelet('start'),
        ),
      ];
    }
    return [];
  }

  private openYaml(kind: ClusterKind, r: ClusterRow): void {
    const req = r.namespace ? { kind, namespace: r.namespace, name: r.name } : { kind, name: r.name };
    this.d.progress
      .track(`Reading ${kind} ${r.name}`, this.d.api.call('cluster.get', req))
      .then(({ yaml }) => {
        this.yaml.hidden = false;
        this.yaml.textContent = yaml;
      })
      .catch((err: unknown) => this.d.onError(String(err)));
  }
}
