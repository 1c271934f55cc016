// TerminalHost on node-pty in this process. Output is forwarded as it comes (keystroke echo latency
// matters more than batching here) and kept in a per-shell scrollback ring buffer.
import { randomBytes } from 'node:crypto';
import type { TerminalInfo } from '../../common/ui-contract.js';
import { KubewireError } from '../../common/errors.js';
import type { CommandRecorder } from './command-recorder.js';
import { ScrollbackBuffer } from './scrollback-buffer.js';
import type { TerminalEvent, TerminalHost, TerminalSpec } from './terminal-host.js';

/** The part of node-pty we use, so tests and a future pty-host process can provide their own. */
export interface Pty {
  readonly pid: number;
  write(data: string): void;
  resize(cols: number, rows: number): void;
  kill(signal?: string): void;
  onData(listener: (data: string) => void): { dispose(): void };
  onExit(listener: (e: { exitCode: number; signal?: number }) => void): { dispose(): void };
}
export type PtySpawn = (
  file: string,
  args: string[],
  opts: { name: string; cols: number; rows: number; cwd: string; env: Record<string, string> },
) => Pty;

interface Entry {
  info: TerminalInfo;
  pty: Pty;
  scrollback: ScrollbackBuffer;
  exited: Promise<void>;
}

export class PtyTerminalHost implements TerminalHost {
  private readonly terminals = new Map<string, Entry>();
  private readonly listeners = new Set<(e: TerminalEvent) => void>();

  constructor(
    private readonly spawn: PtySpawn,
    private readonly opts: {
      scrollbackChars: number;
      now: () => number;
      killGraceMs: number;
      recorder?: CommandRecorder;
      /** Running shells this host keeps at most (each is a root shell with 256 KiB of scrollback). */
      maxTerminals?: number;
    },
  ) {}

  async open(spec: TerminalSpec): Promise<TerminalInfo> {
    const [file, ...args] = spec.argv;
    if (!file) throw new KubewireError('terminal: empty command');
    const max = this.opts.maxTerminals ?? DEFAULT_MAX_TERMINALS;
    const running = [...this.terminals.values()].filter((e) => e.info.exitCode === null).length;
    if (running >= max) throw new TerminalLimit(max);
    let pty: Pty;
    try {
      pty = this.spawn(file, args, {
        name: 'xterm-256color',
        cols: spec.cols,
        rows: spec.rows,
        cwd: '/',
        env: spec.env,
      });
    } catch (err) {
      throw new KubewireError(`terminal: cannot start ${file} in ${spec.namespace}`, { cause: err });
    }
    const id = randomBytes(8).toString('hex');
    const info: TerminalInfo = {
      id,
      namespace: spec.namespace,
      title: spec.title,
      cols: spec.cols,
      rows: spec.rows,
      pid: pty.pid,
      createdAt: this.opts.now(),
      exitCode: null,
      command: spec.argv,
      path: spec.path ?? `ip netns exec ${spec.namespace}: the host enters the namespace directly`,
    };
    const scrollback = new ScrollbackBuffer(this.opts.scrollbackChars);
    let resolveExit!: () => void;
    const exited = new Promise<void>((r) => (resolveExit = r));
    pty.onData((data) => {
      scrollback.push(data);
      this.emit({ type: 'output', id, data });
    });
    pty.onExit(({ exitCode }) => {
      info.exitCode = exitCode;
      resolveExit();
      this.emit({ type: 'exit', id, exitCode });
      this.emit({ type: 'changed' });
    });
    this.terminals.set(id, { info, pty, scrollback, exited });
    this.emit({ type: 'changed' });
    return { ...info };
  }

  list(): TerminalInfo[] {
    return [...this.terminals.values()].map((e) => ({ ...e.info })).sort((a, b) => a.createdAt - b.createdAt);
  }

  get(id: string): TerminalInfo | undefined {
    const e = this.terminals.get(id);
    return e ? { ...e.info } : undefined;
  }

  write(id: string, data: string): void {
    const e = this.require(id);
    if (e.info.exitCode !== null) return;
    e.pty.write(data);
    this.opts.recorder?.input(id, e.info.namespace, data);
  }

  resize(id: string, cols: number, rows: number): void {
    const e = this.require(id);
    if (e.info.exitCode !== null) return;
    e.info.cols = cols;
    e.info.rows = rows;
    e.pty.resize(cols, rows);
  }

  scrollback(id: string): string {
    return this.require(id).scrollback.text();
  }

  async close(id: string): Promise<boolean> {
    const e = this.terminals.get(id);
    if (!e) return false;
    if (e.info.exitCode === null) {
      // SIGHUP is what a closed terminal sends; a shell that ignores it gets SIGKILL.
      safeKill(e.pty, 'SIGHUP');
      const timer = setTimeout(() => safeKill(e.pty, 'SIGKILL'), this.opts.killGraceMs);
      // Never wait forever on node-pty's exit event: a close must finish (and keep the event
      // loop alive until it does, so a caller's cleanup after it still runs).
      let deadline: NodeJS.Timeout | undefined;
      await Promise.race([
        e.exited,
        new Promise<void>((r) => (deadline = setTimeout(r, this.opts.killGraceMs + 1000))),
      ]);
      clearTimeout(timer);
      clearTimeout(deadline);
    }
    this.terminals.delete(id);
    this.opts.recorder?.forget(id);
    this.emit({ type: 'changed' });
    return true;
  }

  onEvent(listener: (e: TerminalEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async dispose(): Promise<void> {
    await Promise.all([...this.terminals.keys()].map((id) => this.close(id)));
  }

  private require(id: string): Entry {
    const e = this.terminals.get(id);
    if (!e) throw new TerminalNotFound(id);
    return e;
  }

  private emit(e: TerminalEvent): void {
    for (const l of this.listeners) l(e);
  }
}

export const DEFAULT_MAX_TERMINALS = 32;

export class TerminalLimit extends KubewireError {
  constructor(readonly max: number) {
    super(`terminal: ${max} shells are already open on this server (the limit); close one first`);
  }
}

export class TerminalNotFound extends KubewireError {
  constructor(readonly id: string) {
    super(`no terminal with id ${id}`);
  }
}

function safeKill(pty: Pty, signal: string): void {
  try {
    pty.kill(signal);
  } catch {
    // Already gone: the exit handler resolves `exited`.
  }
}
