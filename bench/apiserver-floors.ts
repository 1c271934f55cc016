// The two floors the apiserver's create figure is read against, measured in the same run: the
// store's own ceiling (the SQLite log alone, no HTTP: concurrent group-committed creates of values
// the size the apiserver stores for the bench's ConfigMaps), and the HTTPS floor (a bare node:https
// server in its own process that parses the same JSON body and answers with the same number of
// bytes, so everything above it is the apiserver's own work).
import { execa } from 'execa';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteBackend } from '../cluster/store/sqlite-backend.js';
import { runConcurrent, type PatternResult } from './etcd-reference.js';

/** A 1 KiB ConfigMap as the apiserver stores it (metadata, managedFields): about this many bytes. */
export const STORED_BYTES = 1450;

export interface Ceiling {
  /** Group-committed creates (createAsync) from `clients` concurrent callers. */
  grouped: PatternResult;
  /** The same with 64 callers: the most the log takes in (bigger batches). */
  grouped64: PatternResult;
  /** One create() at a time, one transaction each (the write path before group commit). */
  single: PatternResult;
  /** Mean writes per committed transaction in the grouped run. */
  meanBatch: number;
}

export async function storeCeiling(clients: number, ops: number): Promise<Ceiling> {
  const dir = mkdtempSync(join(tmpdir(), 'kw-store-ceiling-'));
  const s = new SqliteBackend({ path: join(dir, 'store.db') });
  try {
    const value = Buffer.alloc(STORED_BYTES, 'x');
    const key = (c: number, i: number) => `/registry/configmaps/bench-${clients}/cm-c${c}-${i}`;
    const grouped = await runConcurrent(clients, ops, (c, i) => s.createAsync(key(c, i), value));
    const stats = s.groupCommitStats();
    const grouped64 = await runConcurrent(64, ops, (c, i) =>
      s.createAsync(`/registry/configmaps/wide/cm-c${c}-${i}`, value),
    );
    const single = await runConcurrent(1, ops, (_, i) => s.create(`/registry/configmaps/single/cm-${i}`, value));
    return { grouped, grouped64, single, meanBatch: stats.writes / Math.max(1, stats.batches) };
  } finally {
    s.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A bare HTTPS server in a child process with the apiserver's serving certificate. */
export async function startHttpsFloor(
  certFile: string,
  keyFile: string,
  answerBytes: number,
): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  const script = `
    import { createServer } from 'node:https';
    import { readFileSync } from 'node:fs';
    const answer = JSON.stringify({ kind: 'ConfigMap', data: { v: 'x'.repeat(${answerBytes}) } });
    const server = createServer(
      { cert: readFileSync(${JSON.stringify(certFile)}), key: readFileSync(${JSON.stringify(keyFile)}), keepAliveTimeout: 60000 },
      (req, res) => {
        const chunks = [];
        req.on('data', (c) => chunks.push(c));
        req.on('end', () => {
          JSON.parse(Buffer.concat(chunks).toString('utf8'));
          res.writeHead(201, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(answer) });
          res.end(answer);
        });
      },
    );
    server.listen(0, '127.0.0.1', () => console.log('floor on https://127.0.0.1:' + server.address().port));
    process.once('SIGTERM', () => { server.closeAllConnections(); server.close(); });`;
  const child = execa(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
    buffer: false,
    reject: false,
  });
  process.once('exit', () => child.kill('SIGKILL'));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /floor on (https:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`the HTTPS floor server exited with ${code}`)));
  });
  return {
    url,
    pid: child.pid!,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** The machine's load averages (1, 5, 15 min), said with every figure: the cores are shared. */
export function loadNote(): string {
  const [a, b, c] = readFileSync('/proc/loadavg', 'utf8').split(' ');
  return `load ${a} ${b} ${c}`;
}
