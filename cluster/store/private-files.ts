// The store holds every Secret: its file, SQLite's -wal/-shm/-journal beside it, and the folder
// they live in (the lab's state folder) are private to the owner (0600 files, 0700 folder), also
// when they already exist with looser modes from an older kubewire.
import { chmodSync, existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

const SIDE_FILES = ['', '-wal', '-shm', '-journal'];

/**
 * Runs `open` (synchronous: better-sqlite3 creates the file and, in WAL mode, the -shm in it) under
 * umask 077, after making the folder private and tightening files that already exist. SQLite gives
 * a later -wal the database file's own mode, so it is 0600 too.
 */
export function openPrivately<T>(path: string, open: () => T): T {
  if (path === ':memory:' || path === '') return open();
  // The folder is not created here: a store in a missing folder fails to open, saying where.
  const dir = dirname(path);
  if (existsSync(dir)) tighten(dir, 0o700);
  restrictStoreFiles(path);
  const previous = process.umask(0o077);
  try {
    return open();
  } finally {
    process.umask(previous);
    restrictStoreFiles(path);
  }
}

/** chmod 0600 (taking nothing away from the owner) on the store file and its SQLite side files. */
export function restrictStoreFiles(path: string): void {
  for (const suffix of SIDE_FILES) {
    const f = path + suffix;
    if (existsSync(f)) tighten(f, 0o600);
  }
}

function tighten(path: string, mode: number): void {
  if ((statSync(path).mode & 0o777) !== mode) chmodSync(path, mode);
}
