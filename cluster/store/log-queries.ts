// The SQL the store runs against the kine log (sqlite-schema.ts lays the table out): reads of a
// key or a range at a revision, the append of a key's next row, the log's tail for watchers, and
// kine's compaction. Prepared once per connection.
import type Database from 'better-sqlite3';
import { KV_COLUMNS, LOG_COLUMNS } from './log-row.js';

export type LogQueries = ReturnType<typeof prepareLogQueries>;

export function prepareLogQueries(db: Database.Database) {
  // The newest row of each name at @rev, skipping names whose newest row is a tombstone. The scan
  // walks the (name, id) index in name order, so LIMIT stops it early.
  const newestAt = (bounded: boolean) => `
    FROM kine AS kv
    WHERE kv.name >= @lo AND kv.name >= @start ${bounded ? 'AND kv.name < @hi' : ''}
      AND kv.id <= @rev AND kv.deleted = 0
      AND kv.id = (SELECT MAX(k2.id) FROM kine AS k2 WHERE k2.name = kv.name AND k2.id <= @rev)`;
  // A LIMIT that is a bare bound parameter costs ~50 µs more per execution with the SQLite that
  // better-sqlite3 12 builds (3.53, STAT4): the planner takes the bound value into account and the
  // statement is planned again on each run. An empty list (ResourceQuota admission runs one on
  // every create) measured 60 µs that way and 7 µs with `@limit + 0`, the same limit as an
  // expression the planner does not read.
  return {
    heads: db.prepare(`SELECT (SELECT seq FROM sqlite_sequence WHERE name = 'kine') AS current,
                              (SELECT revision FROM kine_compaction WHERE id = 1) AS compact`),
    latest: db.prepare(`SELECT ${LOG_COLUMNS} FROM kine WHERE name = ? ORDER BY id DESC LIMIT 1`),
    at: db.prepare(`SELECT ${KV_COLUMNS} FROM kine WHERE name = ? AND id <= ? ORDER BY id DESC LIMIT 1`),
    insert:
      db.prepare(`INSERT INTO kine (name, created, deleted, create_revision, prev_revision, lease, value, old_value)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
    list: db.prepare(`SELECT ${KV_COLUMNS} ${newestAt(true)} ORDER BY kv.name LIMIT @limit + 0`),
    listOpen: db.prepare(`SELECT ${KV_COLUMNS} ${newestAt(false)} ORDER BY kv.name LIMIT @limit + 0`),
    count: db.prepare(`SELECT COUNT(*) ${newestAt(true)}`).pluck(),
    countOpen: db.prepare(`SELECT COUNT(*) ${newestAt(false)}`).pluck(),
    after: db.prepare(`SELECT ${LOG_COLUMNS} FROM kine WHERE id > ? ORDER BY id LIMIT ? + 0`),
    range: db.prepare(
      `SELECT ${LOG_COLUMNS} FROM kine WHERE id > ? AND id <= ? AND name >= ? AND name < ? ORDER BY id`,
    ),
    rangeOpen: db.prepare(`SELECT ${LOG_COLUMNS} FROM kine WHERE id > ? AND id <= ? AND name >= ? ORDER BY id`),
    // kine's compaction: a row superseded by a write at or below the target goes, and so does a
    // tombstone at or below it. Only rows written in (from, to] need looking at: earlier ones were
    // handled by earlier passes.
    compactBatch: db.prepare(`DELETE FROM kine WHERE id IN (
        SELECT prev_revision FROM kine WHERE id > ? AND id <= ? AND prev_revision != 0
        UNION ALL
        SELECT id FROM kine WHERE id > ? AND id <= ? AND deleted != 0)`),
    setCompact: db.prepare(`UPDATE kine_compaction SET revision = ? WHERE id = 1`),
  };
}
