// The store's contract, in the manner of k3s' kine Backend: one append-only log whose row id is the
// global revision. The apiserver is its only user. Calls are synchronous (better-sqlite3 is), and
// watches deliver events in revision order with no gap and no duplicate.

export interface KeyValue {
  key: string;
  /** Revision at which this key was (last) created. */
  createRevision: number;
  /** Revision of the write that produced this value. */
  modRevision: number;
  value: Buffer;
  /** Lease id (0 = none); kept for kine parity, unused by the apiserver for now. */
  lease: number;
}

export type WatchEventType = 'create' | 'update' | 'delete';

export interface WatchEvent {
  type: WatchEventType;
  /** For delete: the last value, with modRevision set to the delete's revision. */
  kv: KeyValue;
  prevKv?: KeyValue;
}

export interface Watch {
  /** Stops delivery; safe to call twice. */
  close(): void;
  /**
   * Every event of this watch up to this revision has been handed to onEvents, including
   * revisions that had none for its prefix: the resourceVersion a BOOKMARK may carry.
   */
  deliveredRevision?(): number;
}

export interface WatchOptions {
  /** Deliver events with revision > afterRevision (0: from now on). */
  afterRevision: number;
  /** Called with batches of events in revision order. */
  onEvents(events: WatchEvent[]): void;
  /**
   * Called once if the watch cannot continue: ErrCompacted when rows it still needed were
   * compacted (requested = the last revision it had, compacted = the compact revision).
   */
  onError(err: Error): void;
}

export interface ListResult {
  /** The store's revision at which the list was taken. */
  revision: number;
  kvs: KeyValue[];
  /** True when limit cut the result short. */
  more: boolean;
}

export interface Backend {
  /** Current (newest) revision of the whole store. */
  currentRevision(): number;
  /** Oldest revision still readable (everything at or below a compacted revision is gone). */
  compactRevision(): number;
  /** The newest value of key at or before `revision` (0 = now); undefined if absent or deleted. */
  get(key: string, revision?: number): { revision: number; kv: KeyValue | undefined };
  /** Creates key; throws ErrKeyExists if it exists. Returns the new revision. */
  create(key: string, value: Buffer, lease?: number): number;
  /**
   * Replaces key's value if its modRevision equals `expectedRevision`.
   * ok=false (with the current kv) when the key changed or is gone: the caller answers 409.
   */
  update(
    key: string,
    value: Buffer,
    expectedRevision: number,
    lease?: number,
  ): { revision: number; kv: KeyValue | undefined; ok: boolean };
  /**
   * Deletes key if modRevision matches (0 = any). ok=false when it changed or is gone.
   * On success `revision` is the delete's revision and kv the value as it was (its own modRevision).
   */
  delete(key: string, expectedRevision?: number): { revision: number; kv: KeyValue | undefined; ok: boolean };
  /**
   * create/update/delete that may share one commit with other writes submitted in the same turn of
   * the event loop (group commit). Each settles only after its write is committed, with the result
   * (or error) the synchronous call would have given; a failing write fails alone.
   */
  createAsync(key: string, value: Buffer, lease?: number): Promise<number>;
  updateAsync(
    key: string,
    value: Buffer,
    expectedRevision: number,
    lease?: number,
  ): Promise<{ revision: number; kv: KeyValue | undefined; ok: boolean }>;
  deleteAsync(
    key: string,
    expectedRevision?: number,
  ): Promise<{ revision: number; kv: KeyValue | undefined; ok: boolean }>;
  /** Keys with `prefix`, ordered by key, starting at startKey (inclusive), at `revision` (0 = now). */
  list(prefix: string, opts?: { startKey?: string; limit?: number; revision?: number }): ListResult;
  /** Live keys with `prefix` at `revision` (0 = now), from startKey (inclusive) on: remainingItemCount. */
  count(prefix: string, revision?: number, startKey?: string): { revision: number; count: number };
  /** Events for keys starting with prefix. Throws ErrCompacted if afterRevision is below the window. */
  watch(prefix: string, opts: WatchOptions): Watch;
  /** Removes superseded rows at or below `revision` (capped at the newest); returns the new compact revision. */
  compact(revision: number): number;
  close(): void;
}

export class StoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}
/** create() of a key that exists. */
export class ErrKeyExists extends StoreError {}
/** A read or watch at a revision that compaction removed: the apiserver answers 410 Expired. */
export class ErrCompacted extends StoreError {
  constructor(
    public readonly requested: number,
    public readonly compacted: number,
  ) {
    super(`required revision ${requested} has been compacted (oldest available: ${compacted + 1})`);
  }
}
/** A revision newer than the store's newest. */
export class ErrFutureRevision extends StoreError {}
