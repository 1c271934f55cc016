// Watch: from any retained revision, in order, no gap, no duplicate, with writers in this process,
// in another store instance on the same file, and in another process; and "expired" (ErrCompacted)
// when the start, or rows a lagging watcher still needed, were compacted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { ErrCompacted, StoreError, type WatchEvent } from '../../../cluster/store/backend.js';
import { openStore, spawnWriter, tempStorePath, until, v } from './temp-store.js';

interface Collected {
  events: WatchEvent[];
  errors: Error[];
  batches: number;
}

function collector(): Collected & { onEvents(e: WatchEvent[]): void; onError(e: Error): void } {
  const c: Collected = { events: [], errors: [], batches: 0 };
  return {
    ...c,
    get events() {
      return c.events;
    },
    get errors() {
      return c.errors;
    },
    get batches() {
      return c.batches;
    },
    onEvents(e) {
      c.batches++;
      c.events.push(...e);
    },
    onError(e) {
      c.errors.push(e);
    },
  };
}

const revs = (events: WatchEvent[]) => events.map((e) => e.kv.modRevision);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

test('local writes are delivered promptly, after the call returns, with prevKv', async (t) => {
  // Polling so slow that only the after-commit notification can deliver in time.
  const s = openStore(t, tempStorePath(t), { pollIntervalMs: 60_000 });
  s.create('/w/a', v('a1')); // 1, before the watch: not delivered
  const c = collector();
  let deliveredAt = 0;
  const w = s.watch('/w/', {
    afterRevision: 0,
    ...c,
    onEvents: (e) => {
      deliveredAt ||= performance.now();
      c.onEvents(e);
    },
  });
  s.update('/w/a', v('a2'), 1); // 2
  s.create('/other', v('x')); // 3: outside the prefix
  s.delete('/w/a'); // 4
  assert.equal(c.events.length, 0, 'nothing is delivered inside the writing call');
  const t0 = performance.now();
  await until(() => c.events.length === 2, 1000, 'two events');
  assert.ok(deliveredAt - t0 < 500, `delivered in ${deliveredAt - t0} ms`);
  assert.equal(c.batches, 1, 'writes of one tick arrive as one batch');
  assert.deepEqual(c.events, [
    {
      type: 'update',
      kv: { key: '/w/a', createRevision: 1, modRevision: 2, value: v('a2'), lease: 0 },
      prevKv: { key: '/w/a', createRevision: 1, modRevision: 1, value: v('a1'), lease: 0 },
    },
    {
      type: 'delete',
      kv: { key: '/w/a', createRevision: 1, modRevision: 4, value: v('a2'), lease: 0 },
      prevKv: { key: '/w/a', createRevision: 1, modRevision: 2, value: v('a2'), lease: 0 },
    },
  ]);
  w.close();
  w.close();
  s.create('/w/b', v('b'));
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(c.events.length, 2, 'nothing after close');
  assert.deepEqual(c.errors, []);
});

test('a watch from an old revision gets the history, then live events, with no duplicate at the seam', async (t) => {
  const s = openStore(t, tempStorePath(t));
  for (let i = 0; i < 30; i++) s.create(`/h/${i}`, v(String(i))); // 1..30
  const seen = collector();
  s.watch('/h/', { afterRevision: 0, ...seen }); // keeps the shared tail busy
  await until(() => true, 0, '');
  s.create('/h/30', v('30')); // 31, read by the tail before the next watch starts
  await until(() => seen.events.length === 1, 1000, 'first live event');
  const c = collector();
  s.watch('/h/', { afterRevision: 10, ...c });
  for (let i = 31; i < 40; i++) s.create(`/h/${i}`, v(String(i))); // 32..40
  await until(() => c.events.length >= 30, 1000, '30 events');
  await new Promise((r) => setTimeout(r, 30));
  assert.deepEqual(revs(c.events), range(11, 40));
  assert.equal(c.events[0]!.type, 'create');
  assert.deepEqual(c.events[0]!.kv.value, v('10'));
  // A watch from exactly now, and one from the future, start where they say.
  const d = collector();
  s.watch('/h/', { afterRevision: 40, ...d });
  const f = collector();
  s.watch('/h/', { afterRevision: 42, ...f });
  s.create('/h/x', v('x')); // 41
  s.create('/h/y', v('y')); // 42
  s.create('/h/z', v('z')); // 43
  await until(() => d.events.length === 3 && f.events.length === 1, 1000, 'events after 40 and after 42');
  assert.deepEqual(revs(d.events), [41, 42, 43]);
  assert.deepEqual(revs(f.events), [43]);
});

test('writes through another store instance on the same file arrive by polling', async (t) => {
  const path = tempStorePath(t);
  const a = openStore(t, path, { pollIntervalMs: 10 });
  const b = openStore(t, path);
  const c = collector();
  a.watch('/p/', { afterRevision: 0, ...c });
  const t0 = performance.now();
  b.create('/p/1', v('1'));
  b.update('/p/1', v('2'), 1);
  await until(() => c.events.length === 2, 1000, 'two events from the other instance');
  const ms = performance.now() - t0;
  assert.deepEqual(revs(c.events), [1, 2]);
  assert.ok(ms < 200, `picked up in ${ms.toFixed(1)} ms`);
});

test('concurrent writers in this process and in another process: one ordered stream, no gap, no duplicate', async (t) => {
  const path = tempStorePath(t);
  const s = openStore(t, path, { pollIntervalMs: 10 });
  s.create('/cw/seed', v('seed')); // 1
  const c = collector();
  s.watch('/cw/', { afterRevision: 0, ...c });
  const writer = spawnWriter(t, ['mixed', path, '/cw/child/', '400']);
  let childDone = false;
  void writer.exited.then(() => (childDone = true));
  await until(() => writer.lines.length > 0 || childDone, 5000, 'the child to start writing');
  let localAcks = 0;
  for (let i = 0; i < 200 || (!childDone && i < 5000); i++) {
    const key = `/cw/local/${i % 5}`;
    const cur = s.get(key).kv;
    if (!cur) s.create(key, v(`c${i}`));
    else if (i % 4 === 0) s.delete(key, cur.modRevision);
    else s.update(key, v(`u${i}`), cur.modRevision);
    localAcks++;
    if (i % 4 === 0) await new Promise((r) => setTimeout(r, 1));
  }
  assert.equal(await writer.exited, 0);
  const head = s.currentRevision();
  await until(() => c.events.at(-1)?.kv.modRevision === head, 3000, `events up to ${head}`);
  assert.deepEqual(c.errors, []);

  // The stream is exactly the log of the prefix after the start, in order.
  const raw = new Database(path, { readonly: true });
  t.after(() => raw.close());
  const logIds = raw
    .prepare(`SELECT id FROM kine WHERE id > 1 AND name >= '/cw/' AND name < '/cw0' ORDER BY id`)
    .pluck()
    .all() as number[];
  assert.deepEqual(revs(c.events), logIds);
  assert.equal(logIds.length, localAcks + writer.lines.length);
  const child = writer.lines.map((l) => l.split(' '));
  const byRev = new Map(c.events.map((e) => [e.kv.modRevision, e]));
  for (const [, op, key, rev] of child) {
    const e = byRev.get(Number(rev));
    assert.ok(e, `acknowledged ${op} ${key}@${rev} delivered`);
    assert.equal(e.kv.key, key);
    assert.equal(e.type, op);
  }
  // The writes really interleaved: the child's revisions are not one block.
  const childRevs = child.map((x) => Number(x[3]));
  assert.ok(Math.max(...childRevs) - Math.min(...childRevs) + 1 > childRevs.length, 'writers interleaved');
});

test('a watch that starts before the compacted revision is expired', (t) => {
  const s = openStore(t, tempStorePath(t));
  for (let i = 0; i < 10; i++) if (s.create('/e/k', v(String(i)))) s.delete('/e/k'); // 1..20
  s.compact(12);
  const c = collector();
  assert.throws(
    () => s.watch('/e/', { afterRevision: 11, ...c }),
    (err: unknown) => err instanceof ErrCompacted && err.compacted === 12 && err.requested === 11,
  );
  s.watch('/e/', { afterRevision: 12, ...c }).close();
});

test('a lagging watcher whose rows another instance compacted away is expired, not silently skipped', async (t) => {
  const path = tempStorePath(t);
  const a = openStore(t, path, { pollIntervalMs: 10 });
  const b = openStore(t, path);
  const lagging = collector();
  a.watch('/l/', { afterRevision: 0, ...lagging });
  // All in one tick, so a's tail has no chance to read them before they go.
  b.create('/l/k', v('1'));
  for (let i = 1; i < 6; i++) b.update('/l/k', v(String(i + 1)), i);
  b.compact(5);
  await until(() => lagging.errors.length === 1, 1000, 'an error');
  assert.ok(lagging.errors[0] instanceof ErrCompacted);
  assert.equal(lagging.events.length, 0);
  // A watch started now is fine and continues from the surviving log.
  const fresh = collector();
  a.watch('/l/', { afterRevision: 6, ...fresh });
  b.update('/l/k', v('7'), 6);
  await until(() => fresh.events.length === 1, 1000, 'an event');
  assert.deepEqual(revs(fresh.events), [7]);
});

test("compaction in this process never expires this process's own watchers", async (t) => {
  const s = openStore(t, tempStorePath(t));
  const c = collector();
  s.create('/o/k', v('0'));
  s.watch('/o/', { afterRevision: 1, ...c });
  for (let i = 1; i <= 20; i++) s.update('/o/k', v(String(i)), i);
  s.compact(21); // in the same tick: the rows go before the watcher was called
  await until(() => c.events.length === 20, 1000, '20 events');
  assert.deepEqual(revs(c.events), range(2, 21));
  assert.deepEqual(c.errors, []);
});

test('closing the store ends each watch with one error; a throwing callback ends its watch', async (t) => {
  const s = openStore(t, tempStorePath(t));
  const c = collector();
  s.watch('/', { afterRevision: 0, ...c });
  const errs: Error[] = [];
  s.watch('/', {
    afterRevision: 0,
    onEvents: () => {
      throw new Error('boom');
    },
    onError: (e) => errs.push(e),
  });
  s.create('/k', v('1'));
  await until(() => errs.length === 1, 1000, 'the throwing watch to end');
  assert.ok(errs[0] instanceof StoreError);
  assert.equal((errs[0]!.cause as Error).message, 'boom');
  s.close();
  assert.equal(c.errors.length, 1);
  assert.match(c.errors[0]!.message, /closed/);
  assert.deepEqual(revs(c.events), [1]);
  assert.throws(() => s.watch('/', { afterRevision: 0, ...c }), StoreError);
});

test('deliveredRevision advances over revisions without events for the prefix (what a BOOKMARK carries)', async (t) => {
  const s = openStore(t, tempStorePath(t));
  s.create('/b/0', v('0')); // 1
  const c = collector();
  const w = s.watch('/a/', { afterRevision: 0, ...c });
  assert.equal(w.deliveredRevision!(), 1);
  s.create('/b/1', v('1')); // 2
  s.create('/b/2', v('2')); // 3
  await until(() => w.deliveredRevision!() === 3, 1000, 'delivered up to 3');
  assert.equal(c.events.length, 0);
  const h = collector();
  const old = s.watch('/b/', { afterRevision: 1, ...h });
  assert.equal(old.deliveredRevision!(), 1, 'its history is not handed over yet');
  await until(() => old.deliveredRevision!() === 3, 1000, 'history delivered');
  assert.deepEqual(revs(h.events), [2, 3]);
});

test("a hole in the log above the compact revision (a row removed behind the store's back) expires the watch instead of skipping it", async (t) => {
  const path = tempStorePath(t);
  const a = openStore(t, path, { pollIntervalMs: 10 });
  const b = openStore(t, path);
  a.create('/g/0', v('0')); // 1
  const c = collector();
  a.watch('/g/', { afterRevision: 0, ...c });
  b.create('/g/1', v('1')); // 2
  b.create('/g/2', v('2')); // 3
  b.create('/g/3', v('3')); // 4
  const raw = new Database(path);
  t.after(() => raw.close());
  raw.prepare('DELETE FROM kine WHERE id = 3').run();
  await until(() => c.errors.length === 1, 1000, 'an error');
  assert.deepEqual(revs(c.events), [2], 'what came before the hole is delivered');
  assert.ok(c.errors[0] instanceof ErrCompacted);
  assert.equal((c.errors[0] as ErrCompacted).requested, 2);
  assert.equal((c.errors[0] as ErrCompacted).compacted, 3);
});
