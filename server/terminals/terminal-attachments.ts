// Which WebSockets show which terminal, and the rule that follows: a shell nobody is attached to
// (its page closed, its socket dropped, or never attached after terminal.open) is closed after a
// short grace period, long enough for a reloading page to attach again. Without it a dropped
// socket left root shells running forever.
import type { TerminalHost } from './terminal-host.js';

export interface GraceTimers {
  /** Runs `fn` after `ms`; returns the cancel. */
  schedule(fn: () => void, ms: number): () => void;
}

export const realTimers: GraceTimers = {
  schedule(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref();
    return () => clearTimeout(t);
  },
};

export class TerminalAttachments {
  /** terminal id → the sockets attached to it. */
  private readonly attached = new Map<string, Set<object>>();
  private readonly pending = new Map<string, () => void>();
  private readonly offHost: () => void;

  constructor(
    private readonly terminals: TerminalHost,
    private readonly o: { graceMs: number; timers?: GraceTimers; log?: (line: string) => void },
  ) {
    // Every terminal starts detached: one that no page attaches to within the grace is closed.
    this.offHost = terminals.onEvent((e) => {
      if (e.type !== 'changed') return;
      const live = new Set(terminals.list().map((t) => t.id));
      for (const t of live) if (!this.attached.has(t) && !this.pending.has(t)) this.startGrace(t);
      for (const t of [...this.pending.keys()]) if (!live.has(t)) this.cancel(t);
      for (const t of [...this.attached.keys()]) if (!live.has(t)) this.attached.delete(t);
    });
  }

  attach(socket: object, id: string): void {
    let set = this.attached.get(id);
    if (!set) this.attached.set(id, (set = new Set()));
    set.add(socket);
    this.cancel(id);
  }

  detach(socket: object, id: string): void {
    const set = this.attached.get(id);
    if (!set?.delete(socket) || set.size > 0) return;
    this.attached.delete(id);
    if (this.terminals.get(id)) this.startGrace(id);
  }

  /** The socket closed: every terminal it showed loses one viewer. */
  dropSocket(socket: object): void {
    for (const [id, set] of [...this.attached]) if (set.has(socket)) this.detach(socket, id);
  }

  dispose(): void {
    this.offHost();
    for (const cancel of this.pending.values()) cancel();
    this.pending.clear();
  }

  private startGrace(id: string): void {
    this.cancel(id);
    this.pending.set(
      id,
      (this.o.timers ?? realTimers).schedule(() => {
        this.pending.delete(id);
        if (this.attached.has(id)) return;
        this.o.log?.(`ui server: closing terminal ${id}: no page attached for ${this.o.graceMs} ms`);
        void this.terminals.close(id);
      }, this.o.graceMs),
    );
  }

  private cancel(id: string): void {
    this.pending.get(id)?.();
    this.pending.delete(id);
  }
}
