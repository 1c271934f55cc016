// Compaction: superseded rows and tombstones at or below the target go, the state at and after the
// compact revision reads the same, older reads are expired, and the compact revision survives a
// restart. The periodic compactor keeps its window (fake clock, no sleeping).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { ErrCompacted } from '../../../cluster/store/backend.js';
import { StoreCompactor, type CompactorClock } from '../../../cluster/store/compactor.js';
import { openStore, tempStorePath, v } from './temp-store.js';

function rowIds(path: string): number[] {
  const raw = new Database(path, { readonly: true });
  try {
    return raw.prepare('SELECT id FROM kine ORDER BY id').pluck().all() as number[];
  } finally {
    raw.close();
  }
}

test('compaction removes superseded rows and tombstones at or below the target, keeps the state', (t) => {
  const path = tempStorePath(t);
  const s = openStore(t, path);
  s.create('/c/a', v('a1')); // 1
  s.update('/c/a', v('a2'), 1); // 2
  s.update('/c/a', v('a3'), 2); // 3
  s.create('/c/b', v('b1')); // 4
  s.delete('/c/b'); // 5
  s.create('/c/d', v('d1')); // 6
  const before4 = s.list('/c/', { revision: 4 });

  assert.equal(s.compact(4), 4);
  assert.deepEqual(rowIds(path), [3, 4, 5, 6]); // 1 and 2 were superseded at or below 4
  assert.equal(s.compactRevision(), 4);
  assert.deepEqual(s.list('/c/', { revision: 4 }), before4);
  assert.throws(
    () => s.get('/c/a', 3),
    (err: unknown) => err instanceof ErrCompacted && err.requested === 3 && err.compacted === 4,
  );
  assert.throws(() => s.list('/c/', { revision: 2 }), ErrCompacted);
  assert.throws(() => s.count('/c/', 1), ErrCompacted);
  assert.deepEqual(s.get('/c/b', 4).kv?.value, v('b1'));

  assert.equal(s.compact(5), 5);
  assert.deepEqual(rowIds(path), [3, 6]); // b's tombstone and what it deleted
  assert.deepEqual(
    s.list('/c/').kvs.map((x) => `${x.key}@${x.modRevision}`),
    ['/c/a@3', '/c/d@6'],
  );
  assert.equal(s.compact(2), 5, 'compacting below the compact revision changes nothing');

  s.create('/c/e', v('e1')); // 7
  s.delete('/c/e'); // 8: the newest row of the log
  assert.equal(s.compact(100), 8, 'a target beyond the newest compacts everything there is');
  assert.deepEqual(rowIds(path), [3, 6]);
  assert.equal(s.currentRevision(), 8);

  // A key whose whole history was compacted away can be created again.
  assert.equal(s.create('/c/b', v('b2')), 9);
  assert.deepEqual(s.get('/c/b').kv, { key: '/c/b', createRevision: 9, modRevision: 9, value: v('b2'), lease: 0 });
  s.close();

  const again = openStore(t, path);
  assert.equal(again.compactRevision(), 8, 'the compact revision survives a restart');
  assert.equal(again.currentRevision(), 9);
  assert.throws(() => again.get('/c/a', 4), ErrCompacted);
});

test('a large compaction runs in batches and leaves only the newest rows', (t) => {
  const path = tempStorePath(t);
  const s = openStore(t, path);
  s.create('/big', v('0'));
  for (let i = 1; i < 2600; i++) s.update('/big', v(String(i)), i);
  s.create('/other', v('x')); // 2601
  assert.equal(s.compact(2500), 2500);
  const ids = rowIds(path);
  assert.deepEqual(
    ids,
    Array.from({ length: 102 }, (_, i) => 2500 + i),
  ); // /big@2500..2600, /other@2601
  assert.deepEqual(s.get('/big', 2500).kv?.value, v('2499'));
  assert.deepEqual(s.get('/big').kv?.value, v('2599'));
});

function fakeClock(): CompactorClock & { advance(ms: number): void; timers: number } {
  let now = 0;
  const timers = new Set<{ ms: number; next: number; fn: () => void }>();
  return {
    now: () => now,
    every(ms, fn) {
      const timer = { ms, next: now + ms, fn };
      timers.add(timer);
      return () => void timers.delete(timer);
    },
    advance(ms) {
      const end = now + ms;
      for (;;) {
        const due = [...timers].filter((x) => x.next <= end).sort((a, b) => a.next - b.next)[0];
        if (!due) break;
        now = due.next;
        due.next += due.ms;
        due.fn();
      }
      now = end;
    },
    get timers() {
      return timers.size;
    },
  };
}

test('the periodic compactor keeps the last keepMs and keepRevisions, and stops when disposed', (t) => {
  const s = openStore(t, tempStorePath(t));
  const clock = fakeClock();
  const errors: Error[] = [];
  const compactor = new StoreCompactor(s, {
    clock,
    intervalMs: 10_000,
    keepMs: 60_000,
    keepRevisions: 50,
    onError: (e) => errors.push(e),
  });
  const stop = compactor.start();
  const write = (n: number) => {
    for (let i = 0; i < n; i++) s.create(`/k/${s.currentRevision()}`, v('x'));
  };
  write(100); // revision 100 noted at t=10s
  clock.advance(10_000);
  write(100);
  clock.advance(50_000); // t=60s: the t=10s note is not older than 60 s yet
  assert.equal(s.compactRevision(), 0);
  clock.advance(10_000); // t=70s: compacts to what was current at t=10s
  assert.equal(s.compactRevision(), 100);
  clock.advance(10_000); // t=80s: the t=20s note (200) is older than 60 s, but only 0 revisions back
  assert.equal(s.compactRevision(), 150, 'keepRevisions holds back the newest 50');
  stop();
  assert.equal(clock.timers, 0);
  write(500);
  clock.advance(600_000);
  assert.equal(s.compactRevision(), 150, 'nothing after dispose');
  assert.deepEqual(errors, []);
});

test('a compactor pass that fails is reported, not thrown into the timer', (t) => {
  const s = openStore(t, tempStorePath(t));
  const clock = fakeClock();
  const errors: Error[] = [];
  const compactor = new StoreCompactor(s, {
    clock,
    intervalMs: 1000,
    keepMs: 0,
    keepRevisions: 0,
    onError: (e) => errors.push(e),
  });
  t.after(compactor.start());
  s.create('/k', v('1'));
  s.close();
  clock.advance(1000);
  assert.equal(errors.length, 1);
  assert.match(errors[0]!.message, /closed/);
});
