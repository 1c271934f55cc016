// The details of a clicked device or namespace: the outputs of `ip -d link`, addr, route, neigh
// and `bridge fdb`, each under the command that produced it, plus "Open terminal here".
import type { DeviceDetails } from '../common/ui-contract.js';
import { h } from './dom.js';

export function renderDetails(body: HTMLElement, details: DeviceDetails): void {
  body.replaceChildren(
    ...details.sections.map((s) =>
      h(
        'section',
        { class: 'details-section', 'data-section': s.title },
        h('h4', {}, s.title),
        h('div', { class: 'cmd' }, `# ${s.command.join(' ')}`),
        h('pre', {}, s.output.trim() || '(empty)'),
      ),
    ),
  );
}
