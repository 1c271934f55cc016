// Just enough Markdown for a guided lab's text: headings, paragraphs, `code`, **bold**, links —
// `show:` links become "show me" buttons that aim a view — and fenced blocks that scroll instead
// of wrapping, each with a Copy button and, when the fence names a terminal, a Run button.
// Everything is built as elements with text (no innerHTML), so a lab file cannot inject markup.
import { parseShowLink, type ShowTarget } from '../common/show-link.js';
import { h } from './dom.js';

export interface MarkdownHooks {
  prefix: string;
  /** A Run button for a fenced block naming `terminal` (undefined: no such terminal in the lab). */
  runButton(terminal: string, lines: string[]): HTMLElement | undefined;
  show(target: ShowTarget): void;
  copy(text: string): Promise<void>;
}

export function renderMarkdown(text: string, hooks: MarkdownHooks): HTMLElement[] {
  const out: HTMLElement[] = [];
  const lines = text.split('\n');
  let para: string[] = [];
  let list: HTMLElement | undefined;
  const flush = (): void => {
    if (para.length) out.push(h('p', {}, ...inline(para.join(' '), hooks)));
    para = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const fence = /^```(\w+)?\s*(\S+)?\s*$/.exec(line);
    if (fence) {
      flush();
      list = undefined;
      const body: string[] = [];
      for (i++; i < lines.length && !lines[i]!.startsWith('```'); i++) body.push(lines[i]!);
      out.push(codeBlock(body, fence[2], hooks));
      continue;
    }
    const head = /^(#{1,4})\s+(.*)$/.exec(line);
    const item = /^\s*[-*]\s+(.*)$/.exec(line);
    if (head) {
      flush();
      list = undefined;
      // The step's own title is the first heading; the pane already shows it.
      if (!(out.length === 0 && head[1] === '#')) out.push(h('h4', {}, head[2]!));
    } else if (item) {
      flush();
      if (!list) out.push((list = h('ul', {})));
      list.append(h('li', {}, ...inline(item[1]!, hooks)));
    } else if (line.trim() === '') {
      flush();
      list = undefined;
    } else para.push(line.trim());
  }
  flush();
  return out;
}

function codeBlock(body: string[], terminal: string | undefined, hooks: MarkdownHooks): HTMLElement {
  const code = body.join('\n');
  const pre = h(
    'pre',
    { class: 'guide-code', tabindex: '0', 'aria-label': terminal ? `commands for the ${terminal} terminal` : 'code' },
    h('code', {}, code),
  );
  const copy = h(
    'button',
    { class: 'small icon-button guide-copy', 'aria-label': 'Copy these commands', title: 'Copy to the clipboard' },
    'Copy',
  );
  copy.addEventListener('click', () => {
    hooks.copy(code).then(
      () => flash(copy, 'Copied'),
      () => flash(copy, 'Copy failed'),
    );
  });
  const run = terminal
    ? hooks.runButton(
        terminal,
        body.filter((l) => l.trim() !== ''),
      )
    : undefined;
  return h(
    'div',
    { class: 'guide-block' },
    h('div', { class: 'guide-block-tools' }, ...(run ? [run] : []), h('span', { class: 'spacer' }), copy),
    pre,
  );
}

function flash(b: HTMLElement, text: string): void {
  const was = b.textContent;
  b.textContent = text;
  setTimeout(() => (b.textContent = was), 1200);
}

/** `code`, **bold**, [text](href): show: links as buttons, http(s) links as links, others as text. */
function inline(text: string, hooks: MarkdownHooks): (string | HTMLElement)[] {
  const out: (string | HTMLElement)[] = [];
  for (const part of text.split(/(`[^`]+`|\*\*[^*]+\*\*|\[[^\]]+\]\([^)\s]+(?:\s[^)]*)?\))/)) {
    if (!part) continue;
    if (part.startsWith('`') && part.endsWith('`') && part.length > 1) out.push(h('code', {}, part.slice(1, -1)));
    else if (part.startsWith('**') && part.endsWith('**') && part.length > 4)
      out.push(h('strong', {}, part.slice(2, -2)));
    else if (part.startsWith('[')) {
      const m = /^\[([^\]]+)\]\(([^)]+)\)$/.exec(part);
      const target = m ? parseShowLink(m[2]!, hooks.prefix) : undefined;
      if (m && target) {
        const b = h(
          'button',
          { class: 'link-button show-me', 'data-show': m[2]!, title: describeShow(target) },
          `↗ ${m[1]!}`,
        );
        b.addEventListener('click', () => hooks.show(target));
        out.push(b);
      } else if (m && /^https?:\/\//.test(m[2]!))
        out.push(h('a', { href: m[2]!, target: '_blank', rel: 'noopener noreferrer' }, m[1]!));
      else out.push(m ? m[1]! : part);
    } else out.push(part);
  }
  return out;
}

function describeShow(t: ShowTarget): string {
  switch (t.view) {
    case 'topology':
      return `Zoom the topology to ${t.devices.map((d) => (d.ifname ? `${d.ifname} in ${d.namespace}` : d.namespace)).join(', ')}`;
    case 'iptables':
      return `Open the iptables view of ${t.namespace}${t.chain ? ` at ${t.table ?? 'nat'} ${t.chain}` : ''}`;
    case 'cluster':
      return 'Open the cluster tables';
    case 'path':
      return 'Open the path tracer';
  }
}
