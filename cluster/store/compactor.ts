// Periodic compaction that keeps a recent window of history, like the apiserver's compactor over
// etcd: every interval it notes the store's revision, and compacts to the newest noted revision that
// is older than `keepMs`, but never into the newest `keepRevisions` revisions. Watchers and lists
// at resourceVersions inside the window keep working; older ones get ErrCompacted (410 Expired).
import type { Backend } from './backend.js';

/** Time as the compactor sees it; tests inject a fake one so they do not sleep. */
export interface CompactorClock {
  now(): number;
  /** Calls fn every `ms`; returns the disposer. */
  every(ms: number, fn: () => void): () => void;
}

export const systemClock: CompactorClock = {
  now: () => Date.now(),
  every(ms, fn) {
    const t = setInterval(fn, ms);
    t.unref();
    return () => clearInterval(t);
  },
};

export interface CompactorOptions {
  clock: CompactorClock;
  intervalMs?: number;
  /** History younger than this is kept. */
  keepMs?: number;
  /** At least this many newest revisions are kept. */
  keepRevisions?: number;
  /** A pass that fails (e.g. the file is locked too long) is reported here; the next pass retries. */
  onError(err: Error): void;
}

export class StoreCompactor {
  private samples: { at: number; revision: number }[] = [];
  private readonly intervalMs: number;
  private readonly keepMs: number;
  private readonly keepRevisions: number;

  constructor(
    private readonly store: Pick<Backend, 'currentRevision' | 'compactRevision' | 'compact'>,
    private readonly opts: CompactorOptions,
  ) {
    this.intervalMs = opts.intervalMs ?? 60_000;
    this.keepMs = opts.keepMs ?? 5 * 60_000;
    this.keepRevisions = opts.keepRevisions ?? 1000;
  }

  /** Starts the periodic passes; returns the disposer that stops them. */
  start(): () => void {
    return this.opts.clock.every(this.intervalMs, () => {
      try {
        this.pass();
      } catch (err) {
        this.opts.onError(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  /** One pass; returns the compact revision after it. */
  pass(): number {
    const now = this.opts.clock.now();
    const current = this.store.currentRevision();
    this.samples.push({ at: now, revision: current });
    let target = 0;
    while (this.samples.length > 0 && this.samples[0]!.at <= now - this.keepMs) {
      target = this.samples.shift()!.revision;
    }
    target = Math.min(target, current - this.keepRevisions);
    if (target > this.store.compactRevision()) return this.store.compact(target);
    return this.store.compactRevision();
  }
}
