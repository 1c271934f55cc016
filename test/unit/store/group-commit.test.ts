// Group commit: writes submitted in one turn of the event loop share one transaction, each is
// acknowledged only once that transaction committed (another connection sees it by then), a write
// that fails in a batch fails alone, revisions follow submission order, watchers get the batch in
// order with no gap, and a batch that cannot commit fails every write in it and leaves nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { ErrKeyExists, StoreError, type WatchEvent } from '../../../cluster/store/backend.js';
import { openStore, tempStorePath, until, v } from './temp-store.js';
import { WAL_AUTOCHECKPOINT_PAGES } from '../../../cluster/store/sqlite-schema.js';

/** What another connection (another process would see the same) finds in the file now. */
function committedKeys(path: string): string[] {
  const raw = new Database(path, { readonly: true });
  try {
    return (raw.prepare('SELECT name FROM kine WHERE deleted = 0 ORDER BY id').pluck().all() as string[]).sort();
  } finally {
    raw.close();
  }
}

test('concurrent creates share one commit and are acknowledged only after it', async (t) => {
  const path = tempStorePath(t);
  const s = openStore(t, path);
  s.create('/gc/before', v('x')); // 1
  const before = s.groupCommitStats();
  const keys = Array.from({ length: 20 }, (_, i) => `/gc/k${String(i).padStart(2, '0')}`);
  const settled: string[] = [];
  const seenAtAck: boolean[] = [];
  const acks = keys.map((k) =>
    s.createAsync(k, v(k)).then((rev) => {
      settled.push(k);
      // At the moment of the acknowledgement the row is in the file for everyone.
      seenAtAck.push(committedKeys(path).includes(k));
      return rev;
    }),
  );
  // Submitted, not committed: no other connection sees them, no promise has settled.
  assert.deepEqual(committedKeys(path), ['/gc/before']);
  for (let i = 0; i < 5; i++) await Promise.resolve(); // microtasks run; the commit waits for the immediate
  assert.equal(settled.length, 0, 'nothing acknowledged before the batch committed');
  const revs = await Promise.all(acks);
  assert.deepEqual(
    revs,
    keys.map((_, i) => i + 2),
    'revisions follow submission order',
  );
  assert.deepEqual(settled, keys, 'acknowledged in revision order');
  assert.ok(seenAtAck.every(Boolean), 'every write was visible to another connection when acknowledged');
  const after = s.groupCommitStats();
  assert.deepEqual(
    { batches: after.batches - before.batches, writes: after.writes - before.writes },
    { batches: 1, writes: 20 },
  );
  for (const [i, k] of keys.entries()) assert.equal(s.get(k).kv?.modRevision, i + 2);
});

test('a failing write in a batch fails alone; the others commit with consecutive revisions', async (t) => {
  const s = openStore(t, tempStorePath(t));
  const r1 = s.create('/c/x', v('x1')); // 1
  const results = await Promise.allSettled([
    s.createAsync('/c/a', v('a')), // 2
    s.createAsync('/c/a', v('again')), // exists by now, inside the same transaction
    s.updateAsync('/c/x', v('x2'), r1), // 3: wins the compare-and-swap
    s.updateAsync('/c/x', v('x3'), r1), // loses it: /c/x moved on at 3 in this very batch
    s.createAsync('/c/b', v('b')), // 4
    s.deleteAsync('/c/none'), // nothing to delete
    s.deleteAsync('/c/b', 4), // 5
  ]);
  assert.equal(s.groupCommitStats().batches, 1);
  assert.deepEqual(results[0], { status: 'fulfilled', value: 2 });
  assert.equal(results[1].status, 'rejected');
  assert.ok((results[1] as PromiseRejectedResult).reason instanceof ErrKeyExists);
  assert.deepEqual(results[2].status === 'fulfilled' && [results[2].value.ok, results[2].value.revision], [true, 3]);
  assert.deepEqual(results[3].status === 'fulfilled' && [results[3].value.ok, results[3].value.kv?.modRevision], [
    false,
    3,
  ]);
  assert.deepEqual(results[4], { status: 'fulfilled', value: 4 });
  assert.deepEqual(results[5].status === 'fulfilled' && results[5].value.ok, false);
  assert.deepEqual(results[6].status === 'fulfilled' && [results[6].value.ok, results[6].value.revision], [true, 5]);
  assert.equal(s.currentRevision(), 5, 'failed writes took no revision');
  assert.equal(s.get('/c/a').kv?.value.toString(), 'a');
  assert.equal(s.get('/c/x').kv?.value.toString(), 'x2');
});

test('watchers get a batch in revision order with no gap, after it committed', async (t) => {
  const s = openStore(t, tempStorePath(t), { pollIntervalMs: 60_000 });
  const events: WatchEvent[] = [];
  const errors: Error[] = [];
  const w = s.watch('/w/', { afterRevision: 0, onEvents: (e) => events.push(...e), onError: (e) => errors.push(e) });
  const writes: Promise<unknown>[] = [];
  for (let i = 0; i < 50; i++) writes.push(s.createAsync(`/w/${i}`, v(String(i))));
  writes.push(s.createAsync('/w/0', v('dup')).catch(() => undefined)); // fails, must leave no hole
  for (let i = 0; i < 10; i++) writes.push(s.updateAsync(`/w/${i}`, v(`u${i}`), i + 1));
  await Promise.all(writes);
  await until(() => events.length >= 60, 5_000, '60 events');
  assert.deepEqual(
    events.map((e) => e.kv.modRevision),
    Array.from({ length: 60 }, (_, i) => i + 1),
  );
  assert.deepEqual(
    events.slice(50).map((e) => [e.type, e.prevKv?.modRevision]),
    Array.from({ length: 10 }, (_, i) => ['update', i + 1]),
  );
  assert.deepEqual(errors, []);
  w.close();
});

test('a batch that cannot commit fails every write in it and leaves nothing behind', async (t) => {
  const path = tempStorePath(t);
  const s = openStore(t, path, { busyTimeoutMs: 50 });
  s.create('/l/first', v('1'));
  // Another connection holds the write lock, as another process's long write would.
  const other = new Database(path);
  t.after(() => other.close());
  other.exec('BEGIN IMMEDIATE');
  const results = await Promise.allSettled([s.createAsync('/l/a', v('a')), s.createAsync('/l/b', v('b'))]);
  other.exec('ROLLBACK');
  for (const r of results) {
    assert.equal(r.status, 'rejected');
    assert.ok((r as PromiseRejectedResult).reason instanceof StoreError);
    assert.match((r as PromiseRejectedResult).reason.message, /write lock/);
  }
  assert.deepEqual(committedKeys(path), ['/l/first']);
  // The store goes on: the next batch commits.
  assert.equal(await s.createAsync('/l/a', v('a')), 2);
});

test('close commits what was submitted before it, then refuses more', async (t) => {
  const path = tempStorePath(t);
  const s = openStore(t, path);
  const pending = [s.createAsync('/z/a', v('a')), s.createAsync('/z/b', v('b'))];
  s.close();
  assert.deepEqual(await Promise.all(pending), [1, 2]);
  assert.deepEqual(committedKeys(path), ['/z/a', '/z/b']);
  await assert.rejects(s.createAsync('/z/c', v('c')), StoreError);
});

test('bad input is refused by the promise, before it joins a batch', async (t) => {
  const s = openStore(t, tempStorePath(t));
  await assert.rejects(s.createAsync('', v('x')), /key/);
  await assert.rejects(s.updateAsync('/k', 'not a buffer' as unknown as Buffer, 1), /value/);
  await assert.rejects(s.deleteAsync('/k', -1), /expectedRevision/);
  assert.equal(s.groupCommitStats().batches, 0);
});

test('events handed to watchers at commit equal the ones read back from the log', async (t) => {
  const s = openStore(t, tempStorePath(t), { pollIntervalMs: 60_000 });
  const live: WatchEvent[] = [];
  const w1 = s.watch('/e/', { afterRevision: 0, onEvents: (e) => live.push(...e), onError: () => {} });
  s.create('/e/a', v('a1'), 7); // sync path
  await Promise.all([s.updateAsync('/e/a', v('a2'), 1), s.createAsync('/e/b', v('b1'))]);
  await s.deleteAsync('/e/a');
  s.update('/e/b', v('b2'), 3, 9);
  await until(() => live.length === 5, 5_000, '5 live events');
  w1.close();
  const replayed: WatchEvent[] = [];
  // A watch from revision 1 reads rows 2.. back from the file; revision 1 itself via get at 1.
  const w3 = s.watch('/e/', { afterRevision: 1, onEvents: (e) => replayed.push(...e), onError: () => {} });
  await until(() => replayed.length === 4, 5_000, '4 replayed events');
  w3.close();
  assert.deepEqual(live.slice(1), replayed);
  assert.deepEqual(live[0], {
    type: 'create',
    kv: { key: '/e/a', createRevision: 1, modRevision: 1, value: v('a1'), lease: 7 },
  });
});

test('commits checkpoint the WAL only after the longer window, and it is checkpointed at the latest then', async (t) => {
  const path = tempStorePath(t);
  const s = openStore(t, path);
  const db = (s as unknown as { db: Database.Database }).db;
  assert.equal(db.pragma('wal_autocheckpoint', { simple: true }), WAL_AUTOCHECKPOINT_PAGES);
  // A small window makes the rule visible quickly: past it, a commit checkpoints and the WAL's
  // frames are all in the database file (PASSIVE then finds nothing left to copy).
  db.pragma('wal_autocheckpoint = 50');
  const value = Buffer.alloc(3000, 'x');
  for (let i = 0; i < 10; i++)
    await Promise.all(Array.from({ length: 20 }, (_, j) => s.createAsync(`/wal/${i}-${j}`, value)));
  const [cp] = db.pragma('wal_checkpoint(PASSIVE)') as { log: number; checkpointed: number }[];
  assert.ok(cp!.log < 200, `the WAL was checkpointed along the way (${cp!.log} frames now)`);
  assert.equal(s.count('/wal/').count, 200);
});
