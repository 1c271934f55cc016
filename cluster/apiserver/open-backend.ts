// Picks the store for a running apiserver: the SQLite revision log at `path`, or the in-memory
// log when no path is given (tests, throwaway tries).
import type { Backend } from '../store/backend.js';
import { MemoryBackend } from '../store/memory-backend.js';
import { SqliteBackend } from '../store/sqlite-backend.js';

export function openBackend(path: string | undefined): Backend {
  return path ? new SqliteBackend({ path }) : new MemoryBackend();
}
