// Any local user must not read Secrets from the store: store.db, -wal, -shm are 0600 and the
// folder 0700, for a new store and for one an older kubewire left world-readable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteBackend } from '../../../cluster/store/sqlite-backend.js';

const mode = (p: string): number => statSync(p).mode & 0o777;

function assertPrivate(dir: string, path: string): void {
  assert.equal(mode(dir).toString(8), '700', dir);
  for (const f of [path, `${path}-wal`, `${path}-shm`]) {
    assert.ok(existsSync(f), f);
    assert.equal(mode(f).toString(8), '600', f);
  }
}

test('a new store and its WAL files are 0600 in a 0700 folder, whatever the umask', (t) => {
  const base = mkdtempSync(join(tmpdir(), 'kw-modes-'));
  t.after(() => rmSync(base, { recursive: true, force: true }));
  const dir = join(base, 'lab');
  mkdirSync(dir, { mode: 0o755 });
  chmodSync(dir, 0o755);
  const path = join(dir, 'store.db');
  const old = process.umask(0o022);
  try {
    const s = new SqliteBackend({ path });
    s.create('/registry/secrets/default/s', Buffer.from('{"data":{"password":"x"}}'));
    assertPrivate(dir, path);
    s.close();
  } finally {
    process.umask(old);
  }
  assert.equal(process.umask(), 0o022, 'the process umask is restored');
});

test('an existing world-readable store is tightened when opened', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kw-modes-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  chmodSync(dir, 0o755);
  const path = join(dir, 'store.db');
  // What an older kubewire left: 0644 files made under umask 022, WAL files kept by a crash.
  const old = process.umask(0o022);
  const raw = new Database(path);
  raw.pragma('journal_mode = WAL');
  raw.exec('CREATE TABLE t (x)');
  process.umask(old);
  for (const f of [path, `${path}-wal`, `${path}-shm`]) {
    chmodSync(f, 0o644);
  }
  const s = new SqliteBackend({ path });
  s.create('/k', Buffer.from('v'));
  assertPrivate(dir, path);
  s.close();
  raw.close();
});
