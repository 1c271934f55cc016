// Terminal tabs: one xterm.js per shell the server keeps. A tab attaches by terminal id, so after a
// page reload (or a dropped socket) it comes back with the shell's scrollback. Measures keystroke
// → echo time (the first output after a single typed character).
import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import { SearchAddon } from '@xterm/addon-search';
import { WebLinksAddon } from '@xterm/addon-web-links';
import type { ServerMessage, TerminalInfo } from '../common/ui-contract.js';
import { splitTerminalInput } from '../common/terminal-input.js';
import type { ApiClient } from './api-client.js';
import { h } from './dom.js';
import type { SocketClient } from './socket-client.js';

const TERMINAL_THEMES = {
  dark: { background: '#1b1d23', foreground: '#d7dae0', cursor: '#7fd1ff', selectionBackground: '#3a4a63' },
  light: {
    background: '#fbfbfd',
    foreground: '#1d2129',
    cursor: '#0b63c4',
    selectionBackground: '#b9d3f2',
    black: '#1d2129',
    white: '#6b7280',
    brightWhite: '#4b5563',
    yellow: '#8a6100',
    brightYellow: '#7a5600',
    green: '#1f7a33',
    brightGreen: '#1f7a33',
    cyan: '#0a6f7f',
    brightCyan: '#0a6f7f',
  },
};

interface Tab {
  info: TerminalInfo;
  term: Terminal;
  fit: FitAddon;
  search: SearchAddon;
  pane: HTMLElement;
  button: HTMLElement;
  pendingKeyAt: number | undefined;
}

export interface TerminalTabsDeps {
  api: ApiClient;
  socket: SocketClient;
  tabBar: HTMLElement;
  panes: HTMLElement;
  searchInput: HTMLInputElement;
  openLink: (url: string) => void;
  onError: (message: string) => void;
  now: () => number;
}

export class TerminalTabs {
  private readonly tabs = new Map<string, Tab>();
  private active: string | undefined;
  private theme: 'dark' | 'light' = 'dark';
  /** Keystroke → echo samples in ms, newest last (bounded). */
  readonly echoSamples: number[] = [];

  constructor(private readonly d: TerminalTabsDeps) {
    d.socket.onMessage((m) => this.onMessage(m));
    d.socket.onOpen(() => {
      for (const id of this.tabs.keys()) d.socket.send({ type: 'terminal.attach', id });
    });
    new ResizeObserver(() => this.fitActive()).observe(d.panes);
    d.searchInput.addEventListener('keydown', (e) => {
      if (e.key !== 'Enter') return;
      const tab = this.active ? this.tabs.get(this.active) : undefined;
      if (!tab) return;
      if (e.shiftKey) tab.search.findPrevious(d.searchInput.value);
      else tab.search.findNext(d.searchInput.value);
    });
  }

  async open(namespace: string, lab?: string): Promise<string> {
    const { cols, rows } = this.estimateSize();
    const info = await this.d.api.call(
      'terminal.open',
      lab ? { namespace, cols, rows, lab } : { namespace, cols, rows },
    );
    this.ensureTab(info);
    this.activate(info.id);
    return info.id;
  }

  /** Shows a live shell in `namespace` (opening one, with the lab's variables, if none) and focuses it. */
  async ensure(namespace: string, lab?: string): Promise<string> {
    const live = [...this.tabs.values()].find((t) => t.info.namespace === namespace && t.info.exitCode === null);
    const id = live ? live.info.id : await this.open(namespace, lab);
    this.activate(id);
    return id;
  }

  /** The terminals' colours follow the page's theme. */
  setTheme(theme: 'dark' | 'light'): void {
    this.theme = theme;
    for (const t of this.tabs.values()) t.term.options.theme = TERMINAL_THEMES[theme];
  }

  /** A terminal in a pod's container through pods/exec (the apiserver and the node's kubelet). */
  async openExec(namespace: string, pod: string, container?: string): Promise<string> {
    const { cols, rows } = this.estimateSize();
    const info = await this.d.api.call(
      'terminal.exec',
      container ? { namespace, pod, container, cols, rows } : { namespace, pod, cols, rows },
    );
    this.ensureTab(info);
    this.activate(info.id);
    return info.id;
  }

  /** Types lines into a live shell in `namespace` (opening one, with the lab's variables, if none). */
  async runIn(namespace: string, lines: string[], lab?: string): Promise<void> {
    const live = [...this.tabs.values()].find((t) => t.info.namespace === namespace && t.info.exitCode === null);
    const id = live ? live.info.id : await this.open(namespace, lab);
    this.activate(id);
    for (const line of lines) this.sendInput(id, `${line}\r`);
  }

  /** A large paste goes as several frames, each under the server's frame limit. */
  private sendInput(id: string, data: string): void {
    for (const chunk of splitTerminalInput(data)) this.d.socket.send({ type: 'terminal.input', id, data: chunk });
  }

  activeId(): string | undefined {
    return this.active;
  }

  /** Each terminal's whole buffer (scrollback included) as text, by namespace: what a learner can scroll to. */
  bufferTexts(): { namespace: string; id: string; text: string }[] {
    return [...this.tabs.values()].map((t) => {
      const b = t.term.buffer.active;
      const lines: string[] = [];
      for (let i = 0; i < b.length; i++) lines.push(b.getLine(i)?.translateToString(true) ?? '');
      return { namespace: t.info.namespace, id: t.info.id, text: lines.join('\n').trimEnd() };
    });
  }

  private onMessage(m: ServerMessage): void {
    switch (m.type) {
      case 'terminals':
        this.sync(m.terminals);
        break;
      case 'terminal.scrollback': {
        const tab = this.tabs.get(m.id);
        if (!tab) return;
        // A reattach replays the whole ring buffer: start from a clean screen to avoid doubling.
        tab.term.reset();
        tab.term.write(m.data);
        break;
      }
      case 'terminal.output': {
        const tab = this.tabs.get(m.id);
        if (!tab) return;
        if (tab.pendingKeyAt !== undefined) {
          this.echoSamples.push(this.d.now() - tab.pendingKeyAt);
          if (this.echoSamples.length > 1000) this.echoSamples.shift();
          tab.pendingKeyAt = undefined;
        }
        tab.term.write(m.data);
        break;
      }
      case 'terminal.exit': {
        const tab = this.tabs.get(m.id);
        if (!tab) return;
        tab.info.exitCode = m.exitCode;
        tab.button.classList.add('exited');
        tab.term.write(`\r\n\x1b[2m[shell ended with ${m.exitCode}]\x1b[0m\r\n`);
        break;
      }
      default:
        break;
    }
  }

  /** The server's list is the truth: new shells (from another page) appear, closed ones go. */
  private sync(list: TerminalInfo[]): void {
    const ids = new Set(list.map((t) => t.id));
    for (const id of [...this.tabs.keys()]) if (!ids.has(id)) this.removeTab(id);
    for (const info of list) this.ensureTab(info);
    if (!this.active && list.length) this.activate(list[list.length - 1]!.id);
  }

  private ensureTab(info: TerminalInfo): Tab {
    const existing = this.tabs.get(info.id);
    if (existing) return existing;
    const term = new Terminal({
      cursorBlink: true,
      fontFamily: 'ui-monospace, "DejaVu Sans Mono", "Liberation Mono", monospace',
      fontSize: 13,
      scrollback: 5000,
      theme: TERMINAL_THEMES[this.theme],
    });
    const fit = new FitAddon();
    const search = new SearchAddon();
    term.loadAddon(fit);
    term.loadAddon(search);
    term.loadAddon(new WebLinksAddon((_e, uri) => this.d.openLink(uri)));
    const pane = h('div', { class: 'terminal-pane', 'data-terminal-id': info.id, 'data-namespace': info.namespace });
    pane.hidden = true;
    this.d.panes.append(pane);
    term.open(pane);
    const close = h(
      'button',
      { class: 'tab-close', title: 'Close this shell', 'aria-label': `Close terminal ${info.title}` },
      '×',
    );
    // Which way the shell reaches its place: straight into a namespace, or the Kubernetes exec path.
    const kind = info.path?.startsWith('pods/exec') ? 'exec' : 'netns';
    const button = h(
      'div',
      {
        class: 'tab',
        role: 'tab',
        tabindex: '0',
        'aria-selected': 'false',
        'data-terminal-id': info.id,
        'data-path': kind,
        title: `${info.path ?? ''}\n${info.command.join(' ')}`,
      },
      h('span', { class: `tab-path tab-path-${kind}` }, kind === 'exec' ? 'kubelet' : 'netns'),
      h('span', { class: 'tab-title' }, info.title),
      close,
    );
    button.addEventListener('click', () => this.activate(info.id));
    button.addEventListener('keydown', (e) => {
      if (e.target !== button) return;
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        this.activate(info.id);
      } else if (e.key === 'Delete') close.click();
    });
    close.addEventListener('click', (e) => {
      e.stopPropagation();
      this.d.api.call('terminal.close', { id: info.id }).catch((err: unknown) => this.d.onError(String(err)));
    });
    this.d.tabBar.append(button);
    const tab: Tab = { info, term, fit, search, pane, button, pendingKeyAt: undefined };
    term.onData((data) => {
      // One printable character typed: time until the shell echoes it.
      if (data.length === 1 && data >= ' ' && data !== '\x7f') tab.pendingKeyAt = this.d.now();
      this.sendInput(info.id, data);
    });
    term.onResize(({ cols, rows }) => this.d.socket.send({ type: 'terminal.resize', id: info.id, cols, rows }));
    this.tabs.set(info.id, tab);
    this.d.socket.send({ type: 'terminal.attach', id: info.id });
    return tab;
  }

  private removeTab(id: string): void {
    const tab = this.tabs.get(id);
    if (!tab) return;
    tab.term.dispose();
    tab.pane.remove();
    tab.button.remove();
    this.tabs.delete(id);
    if (this.active === id) {
      this.active = undefined;
      const last = [...this.tabs.keys()].pop();
      if (last) this.activate(last);
    }
  }

  activate(id: string): void {
    const tab = this.tabs.get(id);
    if (!tab) return;
    for (const t of this.tabs.values()) {
      t.pane.hidden = t !== tab;
      t.button.classList.toggle('active', t === tab);
      t.button.setAttribute('aria-selected', String(t === tab));
    }
    this.active = id;
    this.fitActive();
    tab.term.focus();
  }

  private fitActive(): void {
    const tab = this.active ? this.tabs.get(this.active) : undefined;
    if (!tab || tab.pane.hidden || this.d.panes.clientHeight === 0) return;
    try {
      tab.fit.fit();
    } catch {
      // Not laid out yet; the ResizeObserver calls again.
    }
  }

  private estimateSize(): { cols: number; rows: number } {
    const w = this.d.panes.clientWidth || 800;
    const hgt = this.d.panes.clientHeight || 300;
    return { cols: Math.max(20, Math.floor(w / 8)), rows: Math.max(5, Math.floor(hgt / 17)) };
  }
}
