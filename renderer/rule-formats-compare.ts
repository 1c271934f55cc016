// Two kube-proxy rule formats side by side for the same Services on the chosen node: the article's
// kube-proxy 1.16 (`article`), today's (`current`) and nftables mode, rendered by the server from the
// apiserver's Services and EndpointSlices (`iptables.render`; nothing is applied).
import { RULE_FORMAT_NAMES, type RuleFormatName } from '../common/iptables-contract.js';
import type { ApiClient } from './api-client.js';
import { h } from './dom.js';

const LABELS: Record<RuleFormatName, string> = {
  article: 'article (kube-proxy 1.16)',
  current: 'current kube-proxy',
  nftables: 'nftables mode',
};

export class RuleFormatsCompare {
  readonly root: HTMLElement;
  private readonly left: HTMLSelectElement;
  private readonly right: HTMLSelectElement;
  private readonly panes: HTMLElement;

  constructor(
    private readonly d: { api: ApiClient; namespace: () => string | undefined; onError: (m: string) => void },
  ) {
    const pick = (id: string, value: RuleFormatName) => {
      const s = h(
        'select',
        { class: 'small', id, 'aria-label': id },
        ...RULE_FORMAT_NAMES.map((f) => h('option', { value: f }, LABELS[f])),
      );
      s.value = value;
      return s;
    };
    this.left = pick('formats-left', 'article');
    this.right = pick('formats-right', 'current');
    const go = h('button', { class: 'small', id: 'formats-render' }, 'Render both');
    go.addEventListener('click', () => void this.render());
    this.panes = h('div', { class: 'ipt-compare-panes' });
    this.root = h(
      'section',
      { class: 'ipt-compare', id: 'iptables-compare', hidden: '' },
      h('div', { class: 'ipt-head' }, this.left, this.right, go),
      this.panes,
    );
  }

  toggle(): void {
    this.root.hidden = !this.root.hidden;
    if (!this.root.hidden) void this.render();
  }

  private async render(): Promise<void> {
    const namespace = this.d.namespace();
    if (!namespace) return;
    try {
      const [a, b] = await Promise.all(
        [this.left.value, this.right.value].map((f) =>
          this.d.api.call('iptables.render', { namespace, format: f as RuleFormatName }),
        ),
      );
      this.panes.replaceChildren(
        ...[a!, b!].map((r) =>
          h(
            'div',
            {},
            h('h4', {}, `${LABELS[r.format]} · ${r.node}`),
            h('pre', { class: 'ipt-rendered', 'data-format': r.format }, r.text),
          ),
        ),
      );
    } catch (err) {
      this.d.onError(String(err));
    }
  }
}
