// The reference a store or apiserver benchmark compares itself to, in the same run: etcd from
// Debian's etcd-server on loopback ports with a throwaway data dir, driven through its HTTP/JSON
// gateway, and one write pattern (create, compare-and-swap update, get) that any target can run
// with N concurrent clients.
import type { ChildProcess } from 'node:child_process';
import { execa } from 'execa';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What the pattern needs from a key-value target. */
export interface KvTarget {
  /** Creates key (must not exist); returns its revision. */
  create(key: string, value: Buffer): Promise<number> | number;
  /** Replaces key if it is still at `revision`; returns the new revision, throws on conflict. */
  update(key: string, value: Buffer, revision: number): Promise<number> | number;
  get(key: string): Promise<unknown> | unknown;
}

export interface PatternResult {
  ops: number;
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
}

export interface PatternOptions {
  clients: number;
  /** Operations per phase, split evenly over the clients. */
  ops: number;
  valueBytes?: number;
  /** Keys are `${prefix}c<client>-<i>`; use a fresh prefix per run. */
  prefix: string;
}

/**
 * Runs `op` `total` times from `clients` concurrent loops and measures each call. Synchronous ops
 * (an in-process store) are awaited like async ones, so 32 clients queue on the event loop the way
 * 32 HTTP clients of a single-threaded server would.
 */
export async function runConcurrent(
  clients: number,
  total: number,
  op: (client: number, i: number) => Promise<unknown> | unknown,
): Promise<PatternResult> {
  const perClient = Math.ceil(total / clients);
  const latencies = new Float64Array(perClient * clients);
  let n = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let i = 0; i < perClient; i++) {
        const s = performance.now();
        await op(c, i);
        latencies[n++] = performance.now() - s;
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const sorted = latencies.subarray(0, n).sort();
  const pct = (p: number) => sorted[Math.min(n - 1, Math.floor((p / 100) * n))]!;
  return { ops: n, opsPerSec: n / seconds, p50Ms: pct(50), p99Ms: pct(99) };
}

/** The write pattern: every client creates its keys, then CAS-updates each once, then gets each. */
export async function runKvPattern(
  target: KvTarget,
  opts: PatternOptions,
): Promise<{ create: PatternResult; update: PatternResult; get: PatternResult }> {
  const value = Buffer.alloc(opts.valueBytes ?? 1024, 'x');
  const perClient = Math.ceil(opts.ops / opts.clients);
  const revs: number[][] = Array.from({ length: opts.clients }, () => new Array<number>(perClient).fill(0));
  const key = (c: number, i: number) => `${opts.prefix}c${c}-${i}`;
  const create = await runConcurrent(opts.clients, opts.ops, async (c, i) => {
    revs[c]![i] = await target.create(key(c, i), value);
  });
  const update = await runConcurrent(opts.clients, opts.ops, async (c, i) => {
    revs[c]![i] = await target.update(key(c, i), value, revs[c]![i]!);
  });
  const get = await runConcurrent(opts.clients, opts.ops, (c, i) => target.get(key(c, i)));
  return { create, update, get };
}

export interface EtcdOptions {
  binary?: string;
  /** Loopback ports; default: free ones, so two benchmarks can run side by side. */
  clientPort?: number;
  peerPort?: number;
}

/** One etcd member on 127.0.0.1 with its own temporary data dir; stop() removes both. */
export class EtcdServer {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

  private constructor(
    private readonly child: ChildProcess,
    private readonly dataDir: string,
    readonly clientUrl: string,
    private readonly onExit: () => void,
  ) {}

  static async start(opts: EtcdOptions = {}): Promise<EtcdServer> {
    const clientPort = opts.clientPort ?? (await freePort());
    const peerPort = opts.peerPort ?? (await freePort());
    const dataDir = mkdtempSync(join(tmpdir(), 'kw-etcd-bench-'));
    const clientUrl = `http://127.0.0.1:${clientPort}`;
    const peerUrl = `http://127.0.0.1:${peerPort}`;
    const child = execa(
      opts.binary ?? '/usr/bin/etcd',
      [
        '--name',
        'kw-bench',
        '--data-dir',
        dataDir,
        '--listen-client-urls',
        clientUrl,
        '--advertise-client-urls',
        clientUrl,
        '--listen-peer-urls',
        peerUrl,
        '--initial-advertise-peer-urls',
        peerUrl,
        '--initial-cluster',
        `kw-bench=${peerUrl}`,
        '--initial-cluster-state',
        'new',
        '--logger',
        'zap',
        '--log-level',
        'error',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'], buffer: false, reject: false },
    );
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4000)));
    // If the benchmark process dies, do not leave etcd behind.
    const onExit = () => child.kill('SIGKILL');
    process.once('exit', onExit);
    const server = new EtcdServer(child, dataDir, clientUrl, onExit);
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (child.exitCode !== null) {
        await server.stop();
        throw new Error(`etcd exited with ${child.exitCode} before it was ready: ${stderr.trim()}`);
      }
      try {
        await server.call('/v3/kv/range', { key: b64('kw-ready') });
        return server;
      } catch (err) {
        if (Date.now() > deadline) {
          await server.stop();
          throw new Error(`etcd on ${clientUrl} not ready after 15 s: ${stderr.trim()}`, { cause: err });
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  async stop(): Promise<void> {
    process.removeListener('exit', this.onExit);
    this.agent.destroy();
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((r) => this.child.once('exit', r));
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** POSTs a JSON body to a gateway path (`/v3/kv/put`, ...) and returns the parsed answer. */
  call(path: string, body: unknown): Promise<EtcdAnswer> {
    return postJson(this.agent, this.clientUrl, path, body);
  }

  /** The pattern's operations as etcd does them: txn create-if-absent, txn CAS on mod_revision, range. */
  target(): KvTarget {
    return {
      create: async (key, value) => {
        const k = b64(key);
        const r = await this.call('/v3/kv/txn', {
          compare: [{ key: k, result: 'EQUAL', target: 'CREATE', create_revision: '0' }],
          success: [{ request_put: { key: k, value: value.toString('base64') } }],
        });
        if (!r.succeeded) throw new Error(`etcd: ${key} already exists`);
        return Number(r.header.revision);
      },
      update: async (key, value, revision) => {
        const k = b64(key);
        const r = await this.call('/v3/kv/txn', {
          compare: [{ key: k, result: 'EQUAL', target: 'MOD', mod_revision: String(revision) }],
          success: [{ request_put: { key: k, value: value.toString('base64') } }],
        });
        if (!r.succeeded) throw new Error(`etcd: ${key} changed since revision ${revision}`);
        return Number(r.header.revision);
      },
      get: async (key) => {
        const r = await this.call('/v3/kv/range', { key: b64(key) });
        if (!r.kvs || r.kvs.length !== 1) throw new Error(`etcd: ${key} not found`);
        return r.kvs[0];
      },
    };
  }
}

export interface EtcdAnswer {
  header: { revision: string };
  succeeded?: boolean;
  kvs?: { key: string; value: string; mod_revision: string }[];
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

function postJson(agent: http.Agent, base: string, path: string, body: unknown): Promise<EtcdAnswer> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${base}${path}`,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => (text += d));
        res.on('end', () => {
          if (res.statusCode !== 200)
            return reject(new Error(`etcd ${path}: HTTP ${res.statusCode}: ${text.slice(0, 200)}`));
          try {
            resolve(JSON.parse(text) as EtcdAnswer);
          } catch (err) {
            reject(new Error(`etcd ${path}: unreadable answer`, { cause: err }));
          }
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}
