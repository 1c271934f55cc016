import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBackend } from '../../../cluster/store/memory-backend.js';
import { ErrCompacted, ErrKeyExists, type WatchEvent } from '../../../cluster/store/backend.js';

const b = (s: string) => Buffer.from(s);

test('revisions: create, update with expected revision, delete, reads at old revisions', () => {
  const m = new MemoryBackend();
  assert.equal(m.create('/registry/pods/default/a', b('1')), 1);
  assert.throws(() => m.create('/registry/pods/default/a', b('x')), ErrKeyExists);
  const u = m.update('/registry/pods/default/a', b('2'), 1);
  assert.deepEqual([u.ok, u.revision, u.kv?.createRevision], [true, 2, 1]);
  const stale = m.update('/registry/pods/default/a', b('3'), 1);
  assert.equal(stale.ok, false);
  assert.equal(stale.kv?.modRevision, 2);
  assert.equal(m.get('/registry/pods/default/a', 1).kv?.value.toString(), '1');
  const d = m.delete('/registry/pods/default/a');
  assert.deepEqual([d.ok, d.revision], [true, 3]);
  assert.equal(m.get('/registry/pods/default/a').kv, undefined);
  assert.equal(m.get('/registry/pods/default/a', 2).kv?.value.toString(), '2');
  assert.equal(m.create('/registry/pods/default/a', b('again')), 4);
});

test('list: prefix, order, limit, at a revision', () => {
  const m = new MemoryBackend();
  for (const k of ['c', 'a', 'b']) m.create(`/registry/pods/ns/${k}`, b(k));
  m.create('/registry/pods/other/z', b('z'));
  const page = m.list('/registry/pods/ns/', { limit: 2 });
  assert.deepEqual(
    page.kvs.map((kv) => kv.key),
    ['/registry/pods/ns/a', '/registry/pods/ns/b'],
  );
  assert.equal(page.more, true);
  assert.deepEqual(
    m.list('/registry/pods/ns/', { revision: 2 }).kvs.map((kv) => kv.key),
    ['/registry/pods/ns/a', '/registry/pods/ns/c'],
  );
  assert.equal(m.count('/registry/pods/').count, 4);
});

test('watch replays from a revision then follows, in order, without gap or duplicate', async () => {
  const m = new MemoryBackend();
  m.create('/p/a', b('1'));
  m.create('/p/b', b('1'));
  const got: WatchEvent[] = [];
  const w = m.watch('/p/', { afterRevision: 1, onEvents: (e) => got.push(...e), onError: assert.fail });
  m.update('/p/a', b('2'), 1);
  m.delete('/p/b');
  m.create('/q/other', b('x'));
  await new Promise((r) => setTimeout(r, 0));
  assert.deepEqual(
    got.map((e) => [e.type, e.kv.key, e.kv.modRevision]),
    [
      ['create', '/p/b', 2],
      ['update', '/p/a', 3],
      ['delete', '/p/b', 4],
    ],
  );
  assert.equal(got[1]!.prevKv?.value.toString(), '1');
  w.close();
});

test('compaction keeps the newest values and expires older watch starts', () => {
  const m = new MemoryBackend();
  m.create('/k', b('1'));
  m.update('/k', b('2'), 1);
  m.create('/gone', b('x'));
  m.delete('/gone');
  assert.equal(m.compact(3), 3);
  assert.equal(m.get('/k').kv?.value.toString(), '2');
  assert.throws(() => m.get('/k', 2), ErrCompacted);
  assert.throws(() => m.watch('/', { afterRevision: 2, onEvents: () => {}, onError: () => {} }), ErrCompacted);
  m.watch('/', { afterRevision: 3, onEvents: () => {}, onError: () => {} }).close();
});
