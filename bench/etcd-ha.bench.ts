// The apiserver's store as a 3-member etcd (topology controlPlane.store kind etcd) against the
// SQLite revision log, in the same run: ConfigMap creates through the apiserver's HTTPS API (one
// client, then 8 concurrent), the Backend's synchronous create alone, and failover — kill -9 of
// the etcd leader until the next create is acknowledged, through the Backend and through the API.
// The members run as the lab runs them (heartbeat 250 ms, election 2.5 s), in a throwaway network
// namespace of their own on its loopback (ports 2379-2384), reached from inside it as the lab's
// apiserver reaches its members. `npm run bench -- etcd-ha`.
import type { ChildProcess } from 'node:child_process';
import { execa, execaSync } from 'execa';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiServer, DEFAULT_CONFIG } from '../cluster/apiserver/api-server.js';
import type { Backend } from '../cluster/store/backend.js';
import { EtcdBackend } from '../cluster/store/etcd-backend.js';
import { SqliteBackend } from '../cluster/store/sqlite-backend.js';
import { ETCD_ELECTION_MS, ETCD_HEARTBEAT_MS } from '../runtime/lab/etcd-members.js';
import { netnsAddon } from '../runtime/project-root.js';
import type { BenchReport } from './main.js';
import { runConcurrent, type PatternResult } from './etcd-reference.js';
import { loadNote } from './apiserver-floors.js';

export const name = 'etcd-ha';

const MEMBERS = [0, 1, 2].map((i) => ({ name: `m${i}`, client: 2379 + 2 * i, peer: 2380 + 2 * i }));
const CREATES = 300;
const FAILOVERS = 3;

function sh(argv: string[]): string {
  // Throws an error naming the command, with its stderr, when it fails.
  return execaSync(argv[0]!, argv.slice(1)).stdout;
}

class Cluster {
  readonly netns = `kw-bench-etcd${randomBytes(3).toString('hex')}`;
  readonly dir = mkdtempSync(join(tmpdir(), 'kw-etcd-ha-bench-'));
  readonly procs = new Map<string, ChildProcess>();

  start(): void {
    sh(['ip', 'netns', 'add', this.netns]);
    sh(['ip', '-n', this.netns, 'link', 'set', 'lo', 'up']);
    for (const m of MEMBERS) this.startMember(m.name);
  }

  startMember(name: string): void {
    const m = MEMBERS.find((x) => x.name === name)!;
    const url = (p: number) => `http://127.0.0.1:${p}`;
    const child = execa(
      'ip',
      [
        'netns',
        'exec',
        this.netns,
        '/usr/bin/etcd',
        '--name',
        m.name,
        '--data-dir',
        join(this.dir, m.name),
        '--listen-client-urls',
        url(m.client),
        '--advertise-client-urls',
        url(m.client),
        '--listen-peer-urls',
        url(m.peer),
        '--initial-advertise-peer-urls',
        url(m.peer),
        '--initial-cluster',
        MEMBERS.map((o) => `${o.name}=${url(o.peer)}`).join(','),
        '--initial-cluster-state',
        'new',
        '--heartbeat-interval',
        String(ETCD_HEARTBEAT_MS),
        '--election-timeout',
        String(ETCD_ELECTION_MS),
      ],
      // reject: false: the bench kills members on purpose.
      { stdio: 'ignore', reject: false },
    );
    this.procs.set(name, child);
  }

  endpoints() {
    return MEMBERS.map((m) => ({ host: '127.0.0.1', port: m.client, netns: `/run/netns/${this.netns}` }));
  }

  /** The leading member's name (etcdctl endpoint status), or undefined. */
  leader(): string | undefined {
    for (const m of MEMBERS) {
      if (this.procs.get(m.name)?.exitCode !== null) continue;
      const r = execaSync(
        'ip',
        ['netns', 'exec', this.netns, 'etcdctl', '--endpoints', `http://127.0.0.1:${m.client}`, 'endpoint', 'status'],
        { reject: false },
      );
      if (r.exitCode === 0 && r.stdout.split(', ')[4] === 'true') return m.name;
    }
    return undefined;
  }

  async waitHealthy(): Promise<void> {
    const all = MEMBERS.map((m) => `http://127.0.0.1:${m.client}`).join(',');
    for (let i = 0; i < 240; i++) {
      const r = execaSync('ip', ['netns', 'exec', this.netns, 'etcdctl', '--endpoints', all, 'endpoint', 'health'], {
        reject: false,
      });
      if (r.exitCode === 0) return;
      await new Promise((res) => setTimeout(res, 500));
    }
    throw new Error('the bench etcd cluster did not become healthy in 2 minutes');
  }

  async kill(name: string): Promise<void> {
    const p = this.procs.get(name)!;
    const exited = new Promise((res) => p.once('exit', res));
    // `ip netns exec` execs etcd: the child's pid is etcd's.
    p.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    for (const [name, p] of this.procs) if (p.exitCode === null && p.signalCode === null) await this.kill(name);
    execaSync('ip', ['netns', 'del', this.netns], { reject: false });
    rmSync(this.dir, { recursive: true, force: true });
  }
}

async function startApiserver(
  backend: Backend,
  dir: string,
): Promise<{ server: ApiServer; stop: () => Promise<void> }> {
  const server = new ApiServer({
    backend,
    config: {
      ...DEFAULT_CONFIG,
      stateDir: join(dir, 'apiserver'),
      listen: [{ host: '127.0.0.1', port: 0 }],
      compaction: false,
    },
  });
  const stop = await server.start();
  return { server, stop };
}

/** POST a ConfigMap as kubectl create does (JSON, bearer token, keep-alive). */
function poster(server: ApiServer): (name: string) => Promise<void> {
  const agent = new Agent({ ca: readFileSync(server.caPath), keepAlive: true, maxSockets: 64 });
  return (name) =>
    new Promise<void>((resolve, reject) => {
      const body = JSON.stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name },
        data: { a: 'x'.repeat(512) },
      });
      const req = request(
        `${server.url}/api/v1/namespaces/default/configmaps`,
        {
          method: 'POST',
          agent,
          headers: { Authorization: `Bearer ${server.adminToken}`, 'Content-Type': 'application/json' },
        },
        (res) => {
          res.resume();
          res.on('end', () =>
            res.statusCode === 201 ? resolve() : reject(new Error(`POST ${name}: ${res.statusCode}`)),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });
}

export async function run(report: BenchReport): Promise<void> {
  const cluster = new Cluster();
  const dir = mkdtempSync(join(tmpdir(), 'kw-etcd-ha-bench-api-'));
  const stops: (() => Promise<void> | void)[] = [];
  try {
    cluster.start();
    await cluster.waitHealthy();
    const sqlite = new SqliteBackend({ path: join(dir, 'store.db') });
    stops.push(() => sqlite.close());
    const etcd = new EtcdBackend({
      endpoints: cluster.endpoints(),
      netnsAddon: netnsAddon(),
      requestTimeoutMs: 2000,
      retryForMs: 60_000,
    });
    stops.push(() => etcd.close());
    report.log(
      `3 etcd members (heartbeat ${ETCD_HEARTBEAT_MS} ms, election ${ETCD_ELECTION_MS} ms) in ${cluster.netns}; SQLite in ${tmpdir()}`,
    );

    const fig = (what: string, r: PatternResult) =>
      report.figure(what, r.p50Ms, 'ms p50', {
        note: `p99 ${r.p99Ms.toFixed(2)} ms, ${r.opsPerSec.toFixed(0)}/s; ${loadNote()}`,
      });
    const value = Buffer.alloc(1024, 'x');
    const bs = await runConcurrent(1, CREATES * 2, (_, i) => sqlite.create(`/registry/configmaps/b/s${i}`, value));
    const be = await runConcurrent(1, CREATES * 2, (_, i) => etcd.create(`/registry/configmaps/b/e${i}`, value));
    fig('Backend.create, sqlite (synchronous)', bs);
    fig('Backend.create, etcd x3 (synchronous bridge)', be);
    report.figure('  etcd / sqlite create p50', be.p50Ms / bs.p50Ms, 'x');

    const apiSqlite = await startApiserver(sqlite, join(dir, 'a'));
    stops.push(apiSqlite.stop);
    const apiEtcd = await startApiserver(etcd, join(dir, 'b'));
    stops.push(apiEtcd.stop);
    const postS = poster(apiSqlite.server);
    const postE = poster(apiEtcd.server);
    for (const clients of [1, 8]) {
      const s = await runConcurrent(clients, CREATES, (c, i) => postS(`s${clients}-${c}-${i}`));
      const e = await runConcurrent(clients, CREATES, (c, i) => postE(`e${clients}-${c}-${i}`));
      fig(`POST configmap, ${clients} client(s), sqlite`, s);
      fig(`POST configmap, ${clients} client(s), etcd x3`, e);
      report.figure(`  etcd / sqlite POST p50, ${clients} client(s)`, e.p50Ms / s.p50Ms, 'x');
    }

    // Failover: kill -9 the leader, time the next acknowledged write; the member then comes back.
    const viaBackend: number[] = [];
    const viaApi: number[] = [];
    for (let round = 0; round < FAILOVERS; round++) {
      let leader: string | undefined;
      for (let i = 0; i < 60 && !(leader = cluster.leader()); i++) await new Promise((r) => setTimeout(r, 500));
      if (!leader) throw new Error('no etcd leader');
      const api = round % 2 === 1;
      const t0 = performance.now();
      await cluster.kill(leader);
      if (api) await postE(`failover-${round}`);
      else etcd.create(`/registry/configmaps/failover/${round}`, value);
      (api ? viaApi : viaBackend).push(performance.now() - t0);
      cluster.startMember(leader);
      await cluster.waitHealthy();
    }
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    report.figure('leader kill -9 -> next write acknowledged (Backend)', med(viaBackend), 'ms', {
      note: `rounds: ${viaBackend.map((x) => x.toFixed(0)).join(', ')} ms; ${loadNote()}`,
    });
    report.figure('leader kill -9 -> next POST answered 201 (apiserver)', med(viaApi), 'ms', {
      note: `rounds: ${viaApi.map((x) => x.toFixed(0)).join(', ')} ms; ${loadNote()}`,
    });
  } finally {
    for (const s of stops.reverse()) await s();
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
