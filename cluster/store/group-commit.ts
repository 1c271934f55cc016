// Group commit: writes submitted in the same turn of the event loop (the requests one poll phase
// read) share one write transaction. Each write runs in its own savepoint inside it, so a write that
// fails (ErrKeyExists, a lost compare-and-swap returns ok=false anyway) rolls back alone and the
// others go on; every promise settles only after COMMIT returned, so nothing is acknowledged before
// it is as durable as a lone write would have been. One transaction per batch instead of per write
// saves the BEGIN/COMMIT round and, above all, writes each touched page (the table's last leaf, both
// index leaves, AUTOINCREMENT's counter) to the WAL once per batch instead of once per row.
import { StoreError } from './backend.js';

export interface GroupCommitDeps {
  /** Runs `body` in one IMMEDIATE transaction and commits it; throws if the commit failed. */
  transaction(body: () => void): void;
  /** Runs one write inside the open transaction in a savepoint of its own (rolled back if it throws). */
  step<T>(fn: () => T): T;
  /** True while the outer transaction is still open (SQLite can roll it back on its own on I/O errors). */
  inTransaction(): boolean;
  /** Maps a failure to the store's typed error. */
  toStoreError(what: string, err: unknown): Error;
  /** Called once after each batch committed, before its writers hear of it. */
  committed(): void;
}

interface Pending {
  what: string;
  fn: () => unknown;
  resolve(value: unknown): void;
  reject(err: Error): void;
}

/** One batch this large holds the write lock ~5 ms; more waits for the next turn. */
export const MAX_BATCH = 256;

export class GroupCommit {
  private queue: Pending[] = [];
  private scheduled: NodeJS.Immediate | undefined;
  private closedError: Error | undefined;
  /** Batches committed and writes in them, for the figures (writes / batches = mean batch size). */
  readonly stats = { batches: 0, writes: 0 };

  constructor(
    private readonly deps: GroupCommitDeps,
    private readonly maxBatch = MAX_BATCH,
  ) {}

  /** Queues one write; settles after the transaction carrying it committed (or failed). */
  submit<T>(what: string, fn: () => T): Promise<T> {
    if (this.closedError) return Promise.reject(this.closedError);
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ what, fn, resolve: resolve as (v: unknown) => void, reject });
      // setImmediate runs after the poll phase: every request read in it has queued its write.
      this.scheduled ??= setImmediate(() => this.flush());
    });
  }

  /** Commits what is queued now (close() and tests call it; normally the immediate does). */
  flush(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    while (this.queue.length > 0) {
      const batch = this.queue.length <= this.maxBatch ? this.queue : this.queue.slice(0, this.maxBatch);
      this.queue = batch === this.queue ? [] : this.queue.slice(this.maxBatch);
      this.commit(batch);
    }
  }

  /** Fails every write still queued and refuses new ones. */
  close(err: Error): void {
    this.closedError = err;
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    const left = this.queue;
    this.queue = [];
    for (const p of left) p.reject(err);
  }

  private commit(batch: Pending[]): void {
    const outcomes: ({ ok: true; value: unknown } | { ok: false; err: Error })[] = [];
    try {
      this.deps.transaction(() => {
        for (const p of batch) {
          try {
            outcomes.push({ ok: true, value: this.deps.step(p.fn) });
          } catch (err) {
            outcomes.push({ ok: false, err: this.deps.toStoreError(p.what, err) });
            // SQLite rolled the whole transaction back (I/O error, disk full): what ran before in
            // this batch is gone too, so the batch fails as one.
            if (!this.deps.inTransaction()) throw new BatchAborted(err);
          }
        }
      });
    } catch (err) {
      const cause = err instanceof BatchAborted ? err.cause : err;
      for (const p of batch)
        p.reject(this.deps.toStoreError(`${p.what} (commit of a batch of ${batch.length})`, cause));
      return;
    }
    this.stats.batches++;
    this.stats.writes += batch.length;
    this.deps.committed();
    batch.forEach((p, i) => {
      const o = outcomes[i]!;
      if (o.ok) p.resolve(o.value);
      else p.reject(o.err);
    });
  }
}

class BatchAborted extends StoreError {
  constructor(cause: unknown) {
    super('the batch transaction was rolled back', { cause });
  }
}
