// One row of the revision log and how it reads back as a key-value or a watch event. Rows are never
// updated: a write appends a row whose id is the new global revision and whose prev_revision points
// at the row it supersedes (kine's layout).
import type { KeyValue, WatchEvent } from './backend.js';

export interface LogRow {
  /** The revision of this write. */
  id: number;
  name: string;
  /** 1 for the first write of a key's life (create, or create after delete). */
  created: number;
  /** 1 for a tombstone. */
  deleted: number;
  /** Stored as 0 on a create row: the create revision of a created row is its own id. */
  create_revision: number;
  /** Revision of the row this one supersedes (0: none, a brand-new key). */
  prev_revision: number;
  lease: number;
  /** The value written; on a tombstone, the last value the key had. */
  value: Buffer;
  /** The superseded row's value (null on a create). */
  old_value: Buffer | null;
}

export const LOG_COLUMNS = 'id, name, created, deleted, create_revision, prev_revision, lease, value, old_value';
/** What a key-value needs (reads skip old_value, which only watch events carry). */
export const KV_COLUMNS = 'id, name, created, deleted, create_revision, prev_revision, lease, value';

export function createRevisionOf(row: Pick<LogRow, 'id' | 'created' | 'create_revision'>): number {
  return row.created ? row.id : row.create_revision;
}

export function rowToKeyValue(row: Omit<LogRow, 'old_value'>): KeyValue {
  return {
    key: row.name,
    createRevision: createRevisionOf(row),
    modRevision: row.id,
    value: row.value,
    lease: row.lease,
  };
}

export function rowToEvent(row: LogRow): WatchEvent {
  const kv = rowToKeyValue(row);
  if (row.created) return { type: 'create', kv };
  const prevKv: KeyValue = {
    key: row.name,
    createRevision: kv.createRevision,
    modRevision: row.prev_revision,
    value: row.old_value ?? Buffer.alloc(0),
    lease: row.lease,
  };
  return { type: row.deleted ? 'delete' : 'update', kv, prevKv };
}
