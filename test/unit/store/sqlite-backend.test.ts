// The store's reads and writes: exact revisions (as kine's tests assert them), compare-and-swap,
// list/count at old revisions, the unique successor rule, and bad input that changes nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { ErrFutureRevision, ErrKeyExists, StoreError } from '../../../cluster/store/backend.js';
import { SqliteBackend } from '../../../cluster/store/sqlite-backend.js';
import { ValidationError } from '../../../common/errors.js';
import { openStore, spawnWriter, tempStorePath, v } from './temp-store.js';

const kv = (key: string, createRevision: number, modRevision: number, value: string) => ({
  key,
  createRevision,
  modRevision,
  value: v(value),
  lease: 0,
});

test('writes get exact global revisions; CAS and ErrKeyExists', (t) => {
  const s = openStore(t, tempStorePath(t));
  assert.equal(s.currentRevision(), 0);
  assert.equal(s.compactRevision(), 0);
  assert.equal(s.create('/a', v('a1')), 1);
  assert.equal(s.create('/b', v('b1')), 2);
  assert.deepEqual(s.update('/a', v('a2'), 1), { revision: 3, ok: true, kv: kv('/a', 1, 3, 'a2') });
  // A stale update loses and reports what is there now.
  assert.deepEqual(s.update('/a', v('a3'), 1), { revision: 3, ok: false, kv: kv('/a', 1, 3, 'a2') });
  assert.throws(() => s.create('/a', v('again')), ErrKeyExists);
  assert.equal(s.currentRevision(), 3);

  assert.deepEqual(s.delete('/b', 1), { revision: 3, ok: false, kv: kv('/b', 2, 2, 'b1') });
  assert.deepEqual(s.delete('/b', 2), { revision: 4, ok: true, kv: kv('/b', 2, 2, 'b1') });
  assert.deepEqual(s.delete('/b'), { revision: 4, ok: false, kv: undefined });
  assert.deepEqual(s.update('/b', v('b?'), 4), { revision: 4, ok: false, kv: undefined });
  assert.deepEqual(s.update('/nothing', v('x'), 0), { revision: 4, ok: false, kv: undefined });
  assert.equal(s.create('/b', v('b2')), 5);
  assert.deepEqual(s.get('/b'), { revision: 5, kv: kv('/b', 5, 5, 'b2') });
  assert.deepEqual(s.delete('/a'), { revision: 6, ok: true, kv: kv('/a', 1, 3, 'a2') });

  // Reads in the past.
  assert.deepEqual(s.get('/a', 1), { revision: 1, kv: kv('/a', 1, 1, 'a1') });
  assert.deepEqual(s.get('/a', 5), { revision: 5, kv: kv('/a', 1, 3, 'a2') });
  assert.deepEqual(s.get('/a'), { revision: 6, kv: undefined });
  assert.deepEqual(s.get('/b', 3), { revision: 3, kv: kv('/b', 2, 2, 'b1') });
  assert.deepEqual(s.get('/b', 4), { revision: 4, kv: undefined });
  assert.throws(() => s.get('/a', 7), ErrFutureRevision);
  assert.deepEqual(s.count('/'), { revision: 6, count: 1 });
  assert.deepEqual(s.count('/', 2), { revision: 2, count: 2 });
  assert.deepEqual(s.count('/', 4), { revision: 4, count: 1 });
});

test('list with prefix, startKey and limit, now and at an old revision', (t) => {
  const s = openStore(t, tempStorePath(t));
  for (const k of ['a', 'b', 'c', 'd', 'e']) s.create(`/registry/pods/${k}`, v(`${k}1`)); // 1..5
  s.create('/registry/podsecurity/x', v('x')); // 6: shares "/registry/pods" but not the prefix
  s.create('/registry/pod', v('p')); // 7
  assert.equal(s.update('/registry/pods/b', v('b2'), 2).revision, 8);
  assert.equal(s.delete('/registry/pods/c').revision, 9);

  const names = (r: { kvs: { key: string; modRevision: number }[] }) =>
    r.kvs.map((x) => `${x.key.slice(15)}@${x.modRevision}`);
  const now = s.list('/registry/pods/');
  assert.equal(now.revision, 9);
  assert.deepEqual(names(now), ['a@1', 'b@8', 'd@4', 'e@5']);
  assert.equal(now.more, false);

  const old = s.list('/registry/pods/', { revision: 5, limit: 2 });
  assert.deepEqual({ ...old, kvs: names(old) }, { revision: 5, kvs: ['a@1', 'b@2'], more: true });
  const page2 = s.list('/registry/pods/', { revision: 5, limit: 2, startKey: '/registry/pods/b\0' });
  assert.deepEqual({ ...page2, kvs: names(page2) }, { revision: 5, kvs: ['c@3', 'd@4'], more: true });
  const page3 = s.list('/registry/pods/', { revision: 5, limit: 2, startKey: '/registry/pods/d\0' });
  assert.deepEqual({ ...page3, kvs: names(page3) }, { revision: 5, kvs: ['e@5'], more: false });
  assert.deepEqual(
    s
      .list('/registry/pods/', { revision: 5, limit: 3, startKey: '/registry/pods/c' })
      .kvs.map((x) => x.value.toString()),
    ['c1', 'd1', 'e1'],
  );
  // A startKey before the prefix does not widen the range; an exact limit reports no more.
  assert.deepEqual(names(s.list('/registry/pods/', { startKey: '/a', limit: 4 })), ['a@1', 'b@8', 'd@4', 'e@5']);
  assert.equal(s.list('/registry/pods/', { limit: 4 }).more, false);
  assert.deepEqual(
    s.list('', {}).kvs.map((x) => x.key),
    [
      '/registry/pod',
      '/registry/pods/a',
      '/registry/pods/b',
      '/registry/pods/d',
      '/registry/pods/e',
      '/registry/podsecurity/x',
    ],
  );
  assert.deepEqual(s.count('/registry/pods/'), { revision: 9, count: 4 });
  assert.deepEqual(s.count('/registry/pods/', 8), { revision: 8, count: 5 });
  assert.deepEqual(s.count('/registry/pods/', 5, '/registry/pods/b\0'), { revision: 5, count: 3 });
  assert.deepEqual(s.count('/registry/pods/', 0, '/registry/pods/b\0'), { revision: 9, count: 2 });
  assert.throws(() => s.list('/registry/pods/', { revision: 10 }), ErrFutureRevision);
});

test('the (name, prev_revision) rule refuses a second successor of the same row', (t) => {
  const path = tempStorePath(t);
  const s = openStore(t, path);
  s.create('/k', v('1'));
  assert.equal(s.update('/k', v('2'), 1).revision, 2);
  // A writer that ignores the lock and tries to supersede revision 1 again, from another connection.
  const raw = new Database(path);
  t.after(() => raw.close());
  const insert = raw.prepare(
    `INSERT INTO kine (name, created, deleted, create_revision, prev_revision, lease, value, old_value) VALUES ('/k', 0, 0, 1, 1, 0, x'33', x'31')`,
  );
  assert.throws(
    () => insert.run(),
    (err: { code?: string }) => err.code === 'SQLITE_CONSTRAINT_UNIQUE',
  );
  // Nor may a second "first create" of a key appear beside the first one.
  const create = raw.prepare(
    `INSERT INTO kine (name, created, deleted, create_revision, prev_revision, lease, value, old_value) VALUES ('/k', 1, 0, 0, 0, 0, x'33', NULL)`,
  );
  assert.throws(
    () => create.run(),
    (err: { code?: string }) => err.code === 'SQLITE_CONSTRAINT_UNIQUE',
  );
  assert.equal(s.currentRevision(), 2);
});

test('two processes racing compare-and-swap on one key: every win is a distinct link of one chain', async (t) => {
  const path = tempStorePath(t);
  const s = openStore(t, path);
  s.create('/race', v('0'));
  const rounds = 150;
  const a = spawnWriter(t, ['race', path, '/race', String(rounds)]);
  const b = spawnWriter(t, ['race', path, '/race', String(rounds)]);
  assert.equal(await a.exited, 0);
  assert.equal(await b.exited, 0);
  const wins = [...a.lines, ...b.lines].filter((l) => l.startsWith('ack ')).map((l) => Number(l.split(' ')[3]));
  assert.equal(a.lines.length + b.lines.length, 2 * rounds);
  assert.equal(new Set(wins).size, wins.length, 'no revision won twice');
  const raw = new Database(path, { readonly: true });
  t.after(() => raw.close());
  const rows = raw.prepare(`SELECT id, prev_revision FROM kine WHERE name = '/race' ORDER BY id`).all() as {
    id: number;
    prev_revision: number;
  }[];
  assert.equal(rows.length, wins.length + 1);
  for (let i = 1; i < rows.length; i++)
    assert.equal(rows[i]!.prev_revision, rows[i - 1]!.id, 'each write supersedes the one before it');
  assert.deepEqual(
    [...wins].sort((x, y) => x - y),
    rows.slice(1).map((r) => r.id),
  );
  assert.equal(s.get('/race').kv!.modRevision, rows.at(-1)!.id);
});

test('two processes creating the same keys: each key is created once, the other gets ErrKeyExists', async (t) => {
  const path = tempStorePath(t);
  openStore(t, path).close();
  const a = spawnWriter(t, ['create-race', path, '/cr/', '300']);
  const b = spawnWriter(t, ['create-race', path, '/cr/', '300']);
  assert.equal(await a.exited, 0);
  assert.equal(await b.exited, 0);
  const s = openStore(t, path);
  const acks = new Map<string, number>();
  for (const line of [...a.lines, ...b.lines]) {
    const [word, , key, rev] = line.split(' ');
    if (word === 'ack') {
      assert.ok(!acks.has(key!), `${key} created twice`);
      acks.set(key!, Number(rev));
    }
  }
  assert.equal(acks.size, 300);
  assert.equal(a.lines.length + b.lines.length, 600);
  for (const [key, rev] of acks) assert.equal(s.get(key).kv?.modRevision, rev);
  assert.equal(s.currentRevision(), 300);
});

test('a store that cannot be opened says where', () => {
  assert.throws(
    () => new SqliteBackend({ path: '/nonexistent-kw-dir/state.db' }),
    (err: unknown) => err instanceof StoreError && err.message.includes('/nonexistent-kw-dir/state.db'),
  );
});

test('data and revisions survive reopening; revisions never go back', (t) => {
  const path = tempStorePath(t);
  const s1 = openStore(t, path);
  s1.create('/x', v('1'));
  s1.create('/y', v('1'));
  s1.delete('/y');
  s1.close();
  const s2 = openStore(t, path);
  assert.equal(s2.currentRevision(), 3);
  assert.deepEqual(s2.get('/x').kv, kv('/x', 1, 1, '1'));
  s2.compact(3); // removes /y's rows, including the newest row of the log
  assert.equal(s2.currentRevision(), 3);
  assert.equal(s2.create('/y', v('2')), 4);
});

test('bad input gets a ValidationError naming the argument and changes nothing', (t) => {
  const s = openStore(t, tempStorePath(t));
  s.create('/k', v('1'));
  const bad: [string, () => unknown][] = [
    ['key', () => s.create('', v('x'))],
    ['value', () => s.create('/z', 'text' as unknown as Buffer)],
    ['expectedRevision', () => s.update('/k', v('2'), -1)],
    ['expectedRevision', () => s.delete('/k', 1.5)],
    ['revision', () => s.get('/k', -3)],
    ['limit', () => s.list('/', { limit: -1 })],
    ['lease', () => s.create('/z', v('x'), -2)],
    ['afterRevision', () => s.watch('/', { afterRevision: NaN, onEvents() {}, onError() {} })],
  ];
  for (const [what, call] of bad) {
    assert.throws(call, (err: unknown) => err instanceof ValidationError && err.message.includes(what), what);
  }
  assert.equal(s.currentRevision(), 1);
  assert.deepEqual(s.get('/k').kv!.value, v('1'));
});
