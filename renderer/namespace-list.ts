// The lab panel's list of namespaces, grouped as the article groups them (nodes, pods, the
// underlay/gateway/Internet), each with a button that opens a shell inside it.
import type { NamespaceKind } from '../common/lab-names.js';
import type { NamespaceModel } from '../common/topology-model.js';
import { h } from './dom.js';

const GROUPS: { title: string; kinds: NamespaceKind[] }[] = [
  { title: 'Nodes', kinds: ['node'] },
  { title: 'Pods', kinds: ['pod', 'docker'] },
  { title: 'Network', kinds: ['underlay', 'gateway', 'internet'] },
  { title: 'Other', kinds: ['other'] },
];

export function renderNamespaceList(
  el: HTMLElement,
  namespaces: NamespaceModel[],
  addressOf: (ns: string) => string | undefined,
  open: (ns: string) => void,
): void {
  const groups = GROUPS.map((g) => ({ ...g, items: namespaces.filter((n) => g.kinds.includes(n.kind)) })).filter(
    (g) => g.items.length,
  );
  el.replaceChildren(
    ...groups.map((g) =>
      h(
        'div',
        { class: 'ns-group' },
        h('h4', {}, `${g.title} (${g.items.length})`),
        ...g.items.map((n) => {
          const button = h(
            'button',
            {
              title: `Open a shell in ${n.name}`,
              'aria-label': `Open a shell in ${n.label}`,
              'data-open-terminal': n.name,
            },
            '>_',
          );
          button.addEventListener('click', () => open(n.name));
          const ip = addressOf(n.name);
          return h(
            'div',
            { class: 'ns-row', 'data-namespace': n.name, title: n.name },
            h('span', { class: 'ns-label' }, n.label, ip ? h('span', { class: 'muted' }, `  ${ip}`) : ''),
            button,
          );
        }),
      ),
    ),
  );
}
