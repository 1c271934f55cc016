// The store: kine's log-structured Backend on one SQLite file (better-sqlite3, WAL). Every write is
// a short IMMEDIATE transaction that reads the key's newest row and appends its successor; several
// processes may serve the same file (SQLite serializes their writes, and the unique (name,
// prev_revision) index refuses a second successor of the same row). The *Async writes are
// group-committed: those arriving in one turn of the event loop share one transaction. The SQL it
// runs is in log-queries.ts.
import type Database from 'better-sqlite3';
import {
  ErrCompacted,
  ErrFutureRevision,
  ErrKeyExists,
  StoreError,
  type Backend,
  type KeyValue,
  type ListResult,
  type Watch,
  type WatchOptions,
} from './backend.js';
import { ValidationError } from '../../common/errors.js';
import { prefixEnd } from './key-range.js';
import { createRevisionOf, rowToEvent, rowToKeyValue, type LogRow } from './log-row.js';
import { prepareLogQueries, type LogQueries } from './log-queries.js';
import { openLogDatabase, type Durability } from './sqlite-schema.js';
import { WatchHub, type LogTail } from './watch-hub.js';
import { GroupCommit } from './group-commit.js';
import { checkKey, checkLease, checkPrefix, checkRevision, checkValue, toStoreError } from './arguments.js';

export interface SqliteBackendOptions {
  /** File of the store (':memory:' for a private in-process store). */
  path: string;
  /** Default `normal`: nothing acknowledged is lost to kill -9; see Durability. */
  durability?: Durability;
  /** How often watchers look for writes made by other processes (ms). */
  pollIntervalMs?: number;
  busyTimeoutMs?: number;
}

/** Revisions compacted per write transaction, so other writers are not locked out for long. */
const COMPACT_BATCH = 1000;

export class SqliteBackend implements Backend {
  private readonly db: Database.Database;
  private readonly hub: WatchHub;
  private readonly q: LogQueries;
  /** Runs a callback in a transaction; created once (better-sqlite3 wraps it in BEGIN/COMMIT). */
  private readonly tx: Database.Transaction<(fn: () => unknown) => unknown>;
  private readonly group: GroupCommit;
  /** Rows appended by the open write transaction (kept only while someone watches). */
  private written: LogRow[] = [];
  private closed = false;

  constructor(opts: SqliteBackendOptions) {
    this.db = openLogDatabase(opts.path, { durability: opts.durability, busyTimeoutMs: opts.busyTimeoutMs });
    this.q = prepareLogQueries(this.db);
    this.tx = this.db.transaction((fn: () => unknown) => fn());
    this.hub = new WatchHub(this.logTail(), opts.pollIntervalMs ?? 15);
    this.group = new GroupCommit({
      transaction: (body) => {
        this.written = [];
        try {
          this.tx.immediate(body);
        } catch (err) {
          this.written = [];
          throw err;
        }
      },
      step: (fn) => {
        const mark = this.written.length;
        try {
          // Nested in the open transaction, better-sqlite3 runs it as a SAVEPOINT.
          return this.tx(fn) as ReturnType<typeof fn>;
        } catch (err) {
          this.written.length = mark; // rolled back with its savepoint
          throw err;
        }
      },
      inTransaction: () => this.db.inTransaction,
      toStoreError,
      committed: () => this.publishWritten(),
    });
  }

  currentRevision(): number {
    return this.heads().currentRevision;
  }

  compactRevision(): number {
    return this.heads().compactRevision;
  }

  get(key: string, revision = 0): { revision: number; kv: KeyValue | undefined } {
    checkKey('get', key);
    checkRevision('get', revision);
    return this.read(() => {
      const rev = this.readRevision(revision);
      const row = this.q.at.get(key, rev) as Omit<LogRow, 'old_value'> | undefined;
      return { revision: rev, kv: row && !row.deleted ? rowToKeyValue(row) : undefined };
    });
  }

  create(key: string, value: Buffer, lease = 0): number {
    this.checkCreate(key, value, lease);
    return this.write(`create ${key}`, () => this.createRow(key, value, lease));
  }

  update(
    key: string,
    value: Buffer,
    expectedRevision: number,
    lease?: number,
  ): { revision: number; kv: KeyValue | undefined; ok: boolean } {
    this.checkUpdate(key, value, expectedRevision, lease);
    return this.write(`update ${key}`, () => this.updateRow(key, value, expectedRevision, lease));
  }

  /** On success `revision` is the delete's revision and kv the value as it was before (kine's prevKV). */
  delete(key: string, expectedRevision = 0): { revision: number; kv: KeyValue | undefined; ok: boolean } {
    this.checkDelete(key, expectedRevision);
    return this.write(`delete ${key}`, () => this.deleteRow(key, expectedRevision));
  }

  // The same writes, group-committed: those submitted in one turn of the event loop share a
  // transaction (group-commit.ts); each settles after that transaction committed.

  createAsync(key: string, value: Buffer, lease = 0): Promise<number> {
    return this.submit(
      `create ${key}`,
      () => this.checkCreate(key, value, lease),
      () => this.createRow(key, value, lease),
    );
  }

  updateAsync(
    key: string,
    value: Buffer,
    expectedRevision: number,
    lease?: number,
  ): Promise<{ revision: number; kv: KeyValue | undefined; ok: boolean }> {
    return this.submit(
      `update ${key}`,
      () => this.checkUpdate(key, value, expectedRevision, lease),
      () => this.updateRow(key, value, expectedRevision, lease),
    );
  }

  deleteAsync(key: string, expectedRevision = 0): Promise<{ revision: number; kv: KeyValue | undefined; ok: boolean }> {
    return this.submit(
      `delete ${key}`,
      () => this.checkDelete(key, expectedRevision),
      () => this.deleteRow(key, expectedRevision),
    );
  }

  /** Batches committed by group commit and the writes they carried (writes / batches = mean batch). */
  groupCommitStats(): { batches: number; writes: number } {
    return { ...this.group.stats };
  }

  list(prefix: string, opts: { startKey?: string; limit?: number; revision?: number } = {}): ListResult {
    checkPrefix('list', prefix);
    const revision = opts.revision ?? 0;
    const limit = opts.limit ?? 0;
    checkRevision('list', revision);
    if (!Number.isSafeInteger(limit) || limit < 0)
      throw new ValidationError('store.list: limit', `must be a non-negative integer, got ${String(limit)}`);
    if (opts.startKey !== undefined && typeof opts.startKey !== 'string')
      throw new ValidationError('store.list: startKey', 'must be a string');
    const end = prefixEnd(prefix);
    return this.read(() => {
      const rev = this.readRevision(revision);
      const sqlLimit = limit > 0 ? limit + 1 : -1;
      const rows = (
        end === undefined
          ? this.q.listOpen.all({ lo: prefix, start: opts.startKey ?? prefix, rev, limit: sqlLimit })
          : this.q.list.all({ lo: prefix, start: opts.startKey ?? prefix, hi: end, rev, limit: sqlLimit })
      ) as Omit<LogRow, 'old_value'>[];
      const more = limit > 0 && rows.length > limit;
      if (more) rows.length = limit;
      return { revision: rev, kvs: rows.map(rowToKeyValue), more };
    });
  }

  count(prefix: string, revision = 0, startKey?: string): { revision: number; count: number } {
    checkPrefix('count', prefix);
    checkRevision('count', revision);
    if (startKey !== undefined && typeof startKey !== 'string')
      throw new ValidationError('store.count: startKey', 'must be a string');
    const end = prefixEnd(prefix);
    return this.read(() => {
      const rev = this.readRevision(revision);
      const start = startKey ?? prefix;
      const n = (
        end === undefined
          ? this.q.countOpen.get({ lo: prefix, start, rev })
          : this.q.count.get({ lo: prefix, start, hi: end, rev })
      ) as number;
      return { revision: rev, count: n };
    });
  }

  watch(prefix: string, opts: WatchOptions): Watch {
    this.checkOpen('watch');
    return this.hub.watch(prefix, opts);
  }

  compact(revision: number): number {
    checkRevision('compact', revision);
    this.checkOpen('compact');
    const { currentRevision } = this.heads();
    let { compactRevision } = this.heads();
    // Like kine, a target beyond the newest revision compacts everything there is.
    revision = Math.min(revision, currentRevision);
    while (compactRevision < revision) {
      compactRevision = this.write(`compact to ${revision}`, () => {
        // Another process may have compacted meanwhile: start from what the file says now.
        const from = this.heads().compactRevision;
        if (from >= revision) return from;
        const to = Math.min(revision, from + COMPACT_BATCH);
        this.hub.pull(); // our watchers take what they still need before it goes
        this.q.compactBatch.run(from, to, from, to);
        this.q.setCompact.run(to);
        return to;
      });
    }
    return compactRevision;
  }

  close(): void {
    if (this.closed) return;
    this.group.flush(); // what was submitted before close is committed and acknowledged
    this.closed = true;
    this.group.close(new StoreError('the store is closed'));
    this.hub.close();
    this.db.close();
  }

  private checkCreate(key: string, value: Buffer, lease: number): void {
    checkKey('create', key);
    checkValue('create', value);
    checkLease('create', lease);
  }

  private checkUpdate(key: string, value: Buffer, expectedRevision: number, lease: number | undefined): void {
    checkKey('update', key);
    checkValue('update', value);
    checkRevision('update', expectedRevision, 'expectedRevision');
    if (lease !== undefined) checkLease('update', lease);
  }

  private checkDelete(key: string, expectedRevision: number): void {
    checkKey('delete', key);
    checkRevision('delete', expectedRevision, 'expectedRevision');
  }

  /** Inside a write transaction: the key's next row, or ErrKeyExists. */
  private createRow(key: string, value: Buffer, lease: number): number {
    const latest = this.q.latest.get(key) as LogRow | undefined;
    if (latest && !latest.deleted) throw new ErrKeyExists(`key ${key} already exists (modRevision ${latest.id})`);
    // prev_revision: the tombstone this create follows, or 0 for a key never seen (or compacted
    // away entirely), so two racing creates claim the same (name, prev_revision).
    return this.append(key, 1, 0, 0, latest?.id ?? 0, lease, value, null);
  }

  private updateRow(
    key: string,
    value: Buffer,
    expectedRevision: number,
    lease: number | undefined,
  ): { revision: number; kv: KeyValue | undefined; ok: boolean } {
    const latest = this.q.latest.get(key) as LogRow | undefined;
    if (!latest || latest.deleted || latest.id !== expectedRevision) {
      return {
        revision: this.heads().currentRevision,
        kv: latest && !latest.deleted ? rowToKeyValue(latest) : undefined,
        ok: false,
      };
    }
    const createRevision = createRevisionOf(latest);
    const nextLease = lease ?? latest.lease;
    const rev = this.append(key, 0, 0, createRevision, latest.id, nextLease, value, latest.value);
    return { revision: rev, kv: { key, createRevision, modRevision: rev, value, lease: nextLease }, ok: true };
  }

  private deleteRow(
    key: string,
    expectedRevision: number,
  ): { revision: number; kv: KeyValue | undefined; ok: boolean } {
    const latest = this.q.latest.get(key) as LogRow | undefined;
    if (!latest || latest.deleted || (expectedRevision !== 0 && latest.id !== expectedRevision)) {
      return {
        revision: this.heads().currentRevision,
        kv: latest && !latest.deleted ? rowToKeyValue(latest) : undefined,
        ok: false,
      };
    }
    const rev = this.append(key, 0, 1, createRevisionOf(latest), latest.id, latest.lease, latest.value, latest.value);
    return { revision: rev, kv: rowToKeyValue(latest), ok: true };
  }

  private submit<T>(what: string, check: () => void, fn: () => T): Promise<T> {
    try {
      check();
      this.checkOpen(what);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.group.submit(what, fn);
  }

  private heads(): { currentRevision: number; compactRevision: number } {
    this.checkOpen('read');
    const h = this.q.heads.get() as { current: number | null; compact: number | null };
    return { currentRevision: h.current ?? 0, compactRevision: h.compact ?? 0 };
  }

  /** The revision a read is taken at (0: the newest); refuses compacted and future ones. */
  private readRevision(revision: number): number {
    const { currentRevision, compactRevision } = this.heads();
    if (revision === 0) return currentRevision;
    if (revision > currentRevision)
      throw new ErrFutureRevision(`revision ${revision} is newer than the store's newest (${currentRevision})`);
    if (revision < compactRevision) throw new ErrCompacted(revision, compactRevision);
    return revision;
  }

  private append(
    name: string,
    created: number,
    deleted: number,
    createRevision: number,
    prev: number,
    lease: number,
    value: Buffer,
    oldValue: Buffer | null,
  ): number {
    try {
      const id = Number(
        this.q.insert.run(name, created, deleted, createRevision, prev, lease, value, oldValue).lastInsertRowid,
      );
      // The row as the log would read it back: handed to the watchers once the commit is done.
      if (this.hub.active()) {
        this.written.push({
          id,
          name,
          created,
          deleted,
          create_revision: createRevision,
          prev_revision: prev,
          lease,
          value,
          old_value: oldValue,
        });
      }
      return id;
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
        // Cannot happen under the IMMEDIATE lock unless the file is shared with a writer that does
        // not take it; the index is what makes the race lose either way.
        throw created
          ? new ErrKeyExists(`key ${name} already exists`, { cause: err })
          : new StoreError(`${name} changed concurrently`, { cause: err });
      }
      throw err;
    }
  }

  /** One consistent snapshot for the whole read (a deferred transaction only reads). */
  private read<T>(fn: () => T): T {
    this.checkOpen('read');
    return this.tx(fn) as T;
  }

  /** Takes the write lock first (IMMEDIATE), so read-then-append is atomic across processes. */
  private write<T>(what: string, fn: () => T): T {
    this.checkOpen(what);
    let result: T;
    this.written = [];
    try {
      result = this.tx.immediate(fn) as T;
    } catch (err) {
      this.written = [];
      throw toStoreError(what, err);
    }
    this.publishWritten();
    return result;
  }

  /** Rows just committed go to the watchers as they are, without reading them back. */
  private publishWritten(): void {
    const rows = this.written;
    this.written = [];
    this.hub.committed(rows.map(rowToEvent));
  }

  private checkOpen(what: string): void {
    if (this.closed) throw new StoreError(`${what}: the store is closed`);
  }

  private logTail(): LogTail {
    return {
      heads: () => this.heads(),
      readAfter: (after, limit) =>
        this.read(() => {
          const rows = this.q.after.all(after, limit) as LogRow[];
          return { events: rows.map(rowToEvent), compactRevision: this.heads().compactRevision };
        }),
      readRange: (prefix, after, upTo) =>
        this.read(() => {
          const end = prefixEnd(prefix);
          const rows = (
            end === undefined ? this.q.rangeOpen.all(after, upTo, prefix) : this.q.range.all(after, upTo, prefix, end)
          ) as LogRow[];
          return { events: rows.map(rowToEvent), compactRevision: this.heads().compactRevision };
        }),
    };
  }
}
