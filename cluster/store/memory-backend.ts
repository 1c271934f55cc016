// An in-memory Backend with the same revision, watch and compaction rules as the SQLite log:
// for fast unit tests of the apiserver (kine's tests do the same). Nothing here survives a restart.
import {
  ErrCompacted,
  ErrFutureRevision,
  ErrKeyExists,
  type Backend,
  type KeyValue,
  type ListResult,
  type Watch,
  type WatchEvent,
  type WatchOptions,
} from './backend.js';

interface Row {
  revision: number;
  key: string;
  created: boolean;
  deleted: boolean;
  createRevision: number;
  prevRevision: number;
  value: Buffer;
  lease: number;
}

interface Watcher {
  prefix: string;
  opts: WatchOptions;
  closed: boolean;
  /** Events produced after registration, delivered on the next microtask in one batch. */
  pending: WatchEvent[];
  scheduled: boolean;
}

export class MemoryBackend implements Backend {
  private readonly log: Row[] = [];
  /** key -> its rows in revision order (the history a read at an old revision needs). */
  private readonly history = new Map<string, Row[]>();
  private revision = 0;
  private compacted = 0;
  private readonly watchers = new Set<Watcher>();

  currentRevision(): number {
    return this.revision;
  }

  compactRevision(): number {
    return this.compacted;
  }

  get(key: string, revision = 0): { revision: number; kv: KeyValue | undefined } {
    const at = this.readRevision(revision);
    const row = this.rowAt(key, at);
    return { revision: at, kv: row && !row.deleted ? toKv(row) : undefined };
  }

  create(key: string, value: Buffer, lease = 0): number {
    const latest = this.latest(key);
    if (latest && !latest.deleted) throw new ErrKeyExists(`key ${key} exists`);
    const rev = this.revision + 1;
    this.append({
      revision: rev,
      key,
      created: true,
      deleted: false,
      createRevision: rev,
      prevRevision: latest?.revision ?? 0,
      value,
      lease,
    });
    return rev;
  }

  update(
    key: string,
    value: Buffer,
    expectedRevision: number,
    lease = 0,
  ): { revision: number; kv: KeyValue | undefined; ok: boolean } {
    const latest = this.latest(key);
    if (!latest || latest.deleted || latest.revision !== expectedRevision) {
      return { revision: this.revision, kv: latest && !latest.deleted ? toKv(latest) : undefined, ok: false };
    }
    const rev = this.revision + 1;
    const row: Row = {
      revision: rev,
      key,
      created: false,
      deleted: false,
      createRevision: latest.createRevision,
      prevRevision: latest.revision,
      value,
      lease,
    };
    this.append(row);
    return { revision: rev, kv: toKv(row), ok: true };
  }

  delete(key: string, expectedRevision = 0): { revision: number; kv: KeyValue | undefined; ok: boolean } {
    const latest = this.latest(key);
    if (!latest || latest.deleted) return { revision: this.revision, kv: undefined, ok: false };
    if (expectedRevision !== 0 && latest.revision !== expectedRevision)
      return { revision: this.revision, kv: toKv(latest), ok: false };
    const rev = this.revision + 1;
    const row: Row = { ...latest, revision: rev, created: false, deleted: true, prevRevision: latest.revision };
    this.append(row);
    return { revision: rev, kv: toKv(latest), ok: true };
  }

  // Nothing to batch in memory: the async writes are the synchronous ones, settled at once.
  createAsync(key: string, value: Buffer, lease = 0): Promise<number> {
    return settle(() => this.create(key, value, lease));
  }

  updateAsync(
    key: string,
    value: Buffer,
    expectedRevision: number,
    lease?: number,
  ): Promise<{ revision: number; kv: KeyValue | undefined; ok: boolean }> {
    return settle(() => this.update(key, value, expectedRevision, lease));
  }

  deleteAsync(key: string, expectedRevision = 0): Promise<{ revision: number; kv: KeyValue | undefined; ok: boolean }> {
    return settle(() => this.delete(key, expectedRevision));
  }

  list(prefix: string, opts: { startKey?: string; limit?: number; revision?: number } = {}): ListResult {
    const at = this.readRevision(opts.revision ?? 0);
    const keys = [...this.history.keys()]
      .filter((k) => k.startsWith(prefix) && (!opts.startKey || k >= opts.startKey))
      .sort();
    const kvs: KeyValue[] = [];
    let more = false;
    for (const k of keys) {
      const row = this.rowAt(k, at);
      if (!row || row.deleted) continue;
      if (opts.limit && kvs.length >= opts.limit) {
        more = true;
        break;
      }
      kvs.push(toKv(row));
    }
    return { revision: at, kvs, more };
  }

  count(prefix: string, revision = 0, startKey?: string): { revision: number; count: number } {
    const r = this.list(prefix, { revision, startKey });
    return { revision: r.revision, count: r.kvs.length };
  }

  watch(prefix: string, opts: WatchOptions): Watch {
    if (opts.afterRevision > 0 && opts.afterRevision < this.compacted)
      throw new ErrCompacted(opts.afterRevision, this.compacted);
    const w: Watcher = { prefix, opts, closed: false, pending: [], scheduled: false };
    // Replay what the log holds after the start, then live events: registration and replay happen
    // in one synchronous step, so there is neither a gap nor a duplicate.
    if (opts.afterRevision > 0) {
      for (const row of this.log)
        if (row.revision > opts.afterRevision && row.key.startsWith(prefix)) w.pending.push(this.eventOf(row));
    }
    this.watchers.add(w);
    if (w.pending.length) this.schedule(w);
    return {
      // Delivery is one microtask behind the log; once pending is empty everything is delivered.
      deliveredRevision: () =>
        w.pending.length ? w.pending[0]!.kv.modRevision - 1 : Math.max(opts.afterRevision, this.revision),
      close: () => {
        w.closed = true;
        this.watchers.delete(w);
      },
    };
  }

  compact(revision: number): number {
    const target = Math.min(revision, this.revision);
    if (target <= this.compacted) return this.compacted;
    const keep = new Set<Row>();
    for (const rows of this.history.values()) {
      // The newest row at or below target survives unless it is a delete; newer rows all survive.
      let newestOld: Row | undefined;
      for (const r of rows) {
        if (r.revision <= target) newestOld = r;
        else keep.add(r);
      }
      if (newestOld && !newestOld.deleted) keep.add(newestOld);
    }
    const survivors = this.log.filter((r) => keep.has(r));
    this.log.length = 0;
    this.log.push(...survivors);
    this.history.clear();
    for (const r of survivors) {
      const h = this.history.get(r.key) ?? [];
      h.push(r);
      this.history.set(r.key, h);
    }
    this.compacted = target;
    return target;
  }

  close(): void {
    for (const w of this.watchers) w.closed = true;
    this.watchers.clear();
  }

  private readRevision(revision: number): number {
    if (revision === 0) return this.revision;
    if (revision > this.revision)
      throw new ErrFutureRevision(`revision ${revision} is newer than the store's ${this.revision}`);
    if (revision < this.compacted) throw new ErrCompacted(revision, this.compacted);
    return revision;
  }

  private latest(key: string): Row | undefined {
    const h = this.history.get(key);
    return h?.[h.length - 1];
  }

  private rowAt(key: string, revision: number): Row | undefined {
    const h = this.history.get(key);
    if (!h) return undefined;
    for (let i = h.length - 1; i >= 0; i--) if (h[i]!.revision <= revision) return h[i];
    return undefined;
  }

  private append(row: Row): void {
    this.revision = row.revision;
    this.log.push(row);
    const h = this.history.get(row.key) ?? [];
    h.push(row);
    this.history.set(row.key, h);
    for (const w of this.watchers) {
      if (!w.closed && row.key.startsWith(w.prefix)) {
        w.pending.push(this.eventOf(row));
        this.schedule(w);
      }
    }
  }

  private eventOf(row: Row): WatchEvent {
    const prev = row.prevRevision ? this.history.get(row.key)?.find((r) => r.revision === row.prevRevision) : undefined;
    const kv = toKv(row);
    const prevKv = prev && !prev.deleted ? toKv(prev) : undefined;
    if (row.deleted) return { type: 'delete', kv, prevKv };
    return { type: row.created ? 'create' : 'update', kv, prevKv };
  }

  private schedule(w: Watcher): void {
    if (w.scheduled) return;
    w.scheduled = true;
    queueMicrotask(() => {
      w.scheduled = false;
      if (w.closed || !w.pending.length) return;
      const batch = w.pending.splice(0);
      w.opts.onEvents(batch);
    });
  }
}

function toKv(row: Row): KeyValue {
  return {
    key: row.key,
    createRevision: row.createRevision,
    modRevision: row.revision,
    value: row.value,
    lease: row.lease,
  };
}

function settle<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (err) {
    return Promise.reject(err as Error);
  }
}
