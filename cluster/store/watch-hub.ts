// Delivers the log to watchers in revision order with no gap and no duplicate. One reader tails the
// log for the whole process: right after a local commit (notify), and on a short poll while any
// watcher exists, so that writes by another process on the same file arrive too (kine polls the
// same way). A watcher that starts in the past first gets the retained history of its prefix, read
// in one snapshot together with the compact revision, then joins the shared tail.
//
// Revision gaps: kine fills gaps because MySQL/Postgres sequences advance outside transactions, so
// revision N+1 can become visible before N. SQLite cannot do that: one writer at a time holds the
// write lock (across processes), AUTOINCREMENT's counter is updated inside the writing transaction,
// and a rolled-back or failed insert gives its id back. A reader's snapshot is a prefix of the
// commits, so it never sees N+1 without N. The only holes are compaction's, at or below the compact
// revision. The tail therefore never waits: rows at or below the compact revision that it had not
// read yet fail the watchers still behind them with ErrCompacted (the apiserver answers 410 and the
// client relists), and a hole above the compact revision (rows removed by something other than this
// store) is treated the same way instead of being skipped silently.
import { ErrCompacted, StoreError, type Watch, type WatchEvent, type WatchOptions } from './backend.js';
import { ValidationError } from '../../common/errors.js';

/** What the hub needs from the log; each call reads one consistent snapshot. */
export interface LogTail {
  heads(): { currentRevision: number; compactRevision: number };
  /** Up to `limit` events of every key with revision > after, in revision order. */
  readAfter(after: number, limit: number): { events: WatchEvent[]; compactRevision: number };
  /** Every event of keys in `prefix` with after < revision <= upTo, in revision order. */
  readRange(prefix: string, after: number, upTo: number): { events: WatchEvent[]; compactRevision: number };
}

interface Watcher {
  prefix: string;
  /** Everything up to this revision has been queued (or delivered) to this watcher. */
  position: number;
  /** Everything up to this revision has been handed to onEvents. */
  delivered: number;
  queue: WatchEvent[];
  opts: WatchOptions;
  error?: Error;
  closed: boolean;
}

const BATCH = 1000;

export class WatchHub {
  private readonly watchers = new Set<Watcher>();
  /** Every row up to here has been handed to the watchers' queues. */
  private lastRead = 0;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private closed = false;
  /** Something was committed that the tail has not read yet (not handed over by committed()). */
  private pullNeeded = false;

  constructor(
    private readonly tail: LogTail,
    private readonly pollIntervalMs: number,
  ) {}

  watch(prefix: string, opts: WatchOptions): Watch {
    if (this.closed) throw new StoreError('watch: the store is closed');
    if (typeof prefix !== 'string') throw new ValidationError('store.watch: prefix', 'must be a string');
    const after = opts?.afterRevision;
    if (!Number.isSafeInteger(after) || after < 0) {
      throw new ValidationError('store.watch: afterRevision', `must be a non-negative integer, got ${String(after)}`);
    }
    const heads = this.tail.heads();
    if (this.watchers.size === 0) this.lastRead = heads.currentRevision;
    const w: Watcher = { prefix, position: after, delivered: after, queue: [], opts, closed: false };
    if (after === 0) {
      w.position = heads.currentRevision;
    } else if (after < this.lastRead) {
      const past = this.tail.readRange(prefix, after, this.lastRead);
      if (after < past.compactRevision) throw new ErrCompacted(after, past.compactRevision);
      w.queue = past.events;
      w.position = this.lastRead;
    } else if (after < heads.compactRevision) {
      throw new ErrCompacted(after, heads.compactRevision);
    }
    w.delivered = w.queue.length > 0 ? after : w.position;
    this.watchers.add(w);
    if (!this.timer) {
      this.timer = setInterval(() => this.flush(), this.pollIntervalMs);
      this.timer.unref();
    }
    this.pullNeeded = true;
    this.schedule();
    return { close: () => this.remove(w), deliveredRevision: () => w.delivered };
  }

  /** A write committed in this process: deliver it soon (after the current task). */
  notify(): void {
    if (this.watchers.size === 0) return;
    this.pullNeeded = true;
    this.schedule();
  }

  /** Whether anyone watches (the store keeps its committed rows for committed() only then). */
  active(): boolean {
    return this.watchers.size > 0 && !this.closed;
  }

  /**
   * Events of a commit made in this process, in revision order. When they follow right after what
   * the tail has read, they join the queues as they are (no read of the log); otherwise (another
   * process wrote in between, or the tail is behind) the tail reads the log as after notify().
   */
  committed(events: WatchEvent[]): void {
    if (this.watchers.size === 0 || events.length === 0) return;
    const consecutive = events.every((ev, i) => ev.kv.modRevision === this.lastRead + 1 + i);
    if (!consecutive || this.pullNeeded) {
      this.notify();
      return;
    }
    for (const ev of events) this.take(ev);
    this.schedule();
  }

  /**
   * Reads every committed row not yet read into the watchers' queues, without calling them. The
   * store calls this inside a compaction's write transaction, so compaction can never remove a row
   * that a watcher of this process still needs.
   */
  pull(): void {
    if (this.watchers.size === 0) return;
    for (;;) {
      const { events, compactRevision } = this.tail.readAfter(this.lastRead, BATCH);
      if (compactRevision > this.lastRead) {
        this.failBehind(compactRevision);
        this.lastRead = compactRevision;
      }
      for (const ev of events) {
        const rev = ev.kv.modRevision;
        if (rev <= this.lastRead) continue; // a row that compaction kept, below where we stand now
        if (rev !== this.lastRead + 1) this.failBehind(rev - 1);
        this.take(ev);
      }
      if (events.length < BATCH) return;
    }
  }

  /** Queues the event at lastRead + 1 (or after a hole already failed) for the watchers it concerns. */
  private take(ev: WatchEvent): void {
    const rev = ev.kv.modRevision;
    for (const w of this.watchers) {
      if (rev <= w.position || w.error) continue;
      w.position = rev;
      if (ev.kv.key.startsWith(w.prefix)) w.queue.push(ev);
    }
    this.lastRead = rev;
  }

  /** Stops every watch; each gets onError once. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.watchers) w.error ??= new StoreError('watch ended: the store is closed');
    this.deliver();
    this.stopTimers();
  }

  private flush(pull = true): void {
    try {
      if (pull) {
        this.pullNeeded = false;
        this.pull();
      }
    } catch (err) {
      for (const w of this.watchers) w.error ??= new StoreError('watch ended: reading the log failed', { cause: err });
    }
    this.deliver();
  }

  private deliver(): void {
    for (const w of [...this.watchers]) {
      if (w.closed) continue;
      const upTo = w.position;
      if (w.queue.length > 0) {
        const batch = w.queue;
        w.queue = [];
        try {
          w.opts.onEvents(batch);
        } catch (err) {
          w.error ??= new StoreError('watch ended: its onEvents callback threw', { cause: err });
        }
      }
      if (w.error && !w.closed) {
        this.remove(w);
        w.opts.onError(w.error);
      } else {
        w.delivered = upTo;
      }
    }
  }

  /** Watchers that have not seen everything up to `revision` can no longer be served. */
  private failBehind(revision: number): void {
    for (const w of this.watchers) {
      if (w.position < revision && !w.error) w.error = new ErrCompacted(w.position, revision);
    }
  }

  private schedule(): void {
    if (this.immediate || this.closed) return;
    this.immediate = setImmediate(() => {
      this.immediate = undefined;
      this.flush(this.pullNeeded);
    });
  }

  private remove(w: Watcher): void {
    if (w.closed) return;
    w.closed = true;
    w.queue = [];
    this.watchers.delete(w);
    if (this.watchers.size === 0) this.stopTimers();
  }

  private stopTimers(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
  }
}
