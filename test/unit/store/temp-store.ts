// Test helpers: a store file in a fresh temp folder that is removed when the test ends, and a way
// to run the writer child process against it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { execa } from 'execa';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import { SqliteBackend, type SqliteBackendOptions } from '../../../cluster/store/sqlite-backend.js';

export function tempStorePath(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'kw-store-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'state.db');
}

/** Opens a store that is closed when the test ends (closing twice is fine). */
export function openStore(t: TestContext, path: string, opts: Partial<SqliteBackendOptions> = {}): SqliteBackend {
  const s = new SqliteBackend({ path, ...opts });
  t.after(() => s.close());
  return s;
}

export const v = (s: string): Buffer => Buffer.from(s);

/** Starts store-writer-child.js; it is killed when the test ends if still running. */
export function spawnWriter(
  t: TestContext,
  args: string[],
): { child: ChildProcess; lines: string[]; exited: Promise<number | null> } {
  const script = fileURLToPath(new URL('./store-writer-child.js', import.meta.url));
  // Streams, 'close' and kill as a plain child: no buffering, no rejection, no SIGKILL added to a kill.
  const child = execa(process.execPath, [script, ...args], {
    stdin: 'ignore',
    stderr: 'inherit',
    buffer: false,
    reject: false,
    forceKillAfterDelay: false,
  });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const lines: string[] = [];
  let partial = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, lines, exited };
}

export { eventually as until } from '../../helpers/eventually.js';
