// The store alone (creates/s one at a time and group-committed from 8 and 64 callers, updates/s, gets/s with p50/p99, watch delivery to 100 watchers), then
// the same write pattern against the store and against etcd from Debian's etcd-server with 1, 8 and
// 32 concurrent clients, in the same run, with the ratio kubewire/etcd.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchReport } from './main.js';
import { EtcdServer, runConcurrent, runKvPattern, type KvTarget, type PatternResult } from './etcd-reference.js';
import { SqliteBackend } from '../cluster/store/sqlite-backend.js';
import type { Durability } from '../cluster/store/sqlite-schema.js';
import { loadNote } from './apiserver-floors.js';

export const name = 'store';

const VALUE = Buffer.alloc(1024, 'x'); // about a small Pod's JSON

export async function run(report: BenchReport): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'kw-store-bench-'));
  try {
    report.log('store alone, one caller, 1 KiB values, file in ' + tmpdir());
    await storeAlone(report, join(dir, 'normal.db'), 'normal', 20_000);
    await storeAlone(report, join(dir, 'full.db'), 'full', 2_000);
    await watchDelivery(report, join(dir, 'watch.db'));
    await pollingDelivery(report, join(dir, 'polling.db'));
    await againstEtcd(report, join(dir, 'pattern.db'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function storeAlone(report: BenchReport, path: string, durability: Durability, n: number): Promise<void> {
  const s = new SqliteBackend({ path, durability });
  try {
    const revs = new Array<number>(n);
    const sync = durability === 'normal' ? 'synchronous=NORMAL' : 'synchronous=FULL';
    const fig = (what: string, r: PatternResult) => {
      report.figure(`${what} (${sync})`, r.opsPerSec, 'ops/s');
      report.figure(`${what} p50 / p99`, r.p50Ms, 'ms', { note: `p99 ${r.p99Ms.toFixed(3)} ms` });
    };
    const single = await runConcurrent(1, n, (_, i) => (revs[i] = s.create(`/registry/pods/default/p${i}`, VALUE)));
    fig('creates', single);
    // Group commit: concurrent callers' creates share transactions (what the apiserver's requests do).
    for (const callers of [8, 64]) {
      const before = s.groupCommitStats();
      const grouped = await runConcurrent(callers, n, (c, i) =>
        s.createAsync(`/registry/pods/g${callers}/c${c}-${i}`, VALUE),
      );
      const after = s.groupCommitStats();
      fig(`creates, ${callers} concurrent callers, group commit`, grouped);
      report.figure(
        `  group commit (${callers} callers) / one transaction per create`,
        grouped.opsPerSec / single.opsPerSec,
        'x',
        {
          note: `${((after.writes - before.writes) / Math.max(1, after.batches - before.batches)).toFixed(1)} writes per commit; ${loadNote()}`,
        },
      );
    }
    fig(
      'updates (CAS)',
      await runConcurrent(
        1,
        n,
        (_, i) => (revs[i] = s.update(`/registry/pods/default/p${i}`, VALUE, revs[i]!).revision),
      ),
    );
    if (durability === 'full') return;
    fig('gets', await runConcurrent(1, n, (_, i) => s.get(`/registry/pods/default/p${i}`)));
    fig('gets at an old revision', await runConcurrent(1, n, (_, i) => s.get(`/registry/pods/default/p${i}`, n)));
    const pages = await runConcurrent(1, 200, (_, i) =>
      s.list('/registry/pods/', { limit: 500, startKey: `/registry/pods/default/p${i * 50}` }),
    );
    report.figure('list pages of 500 (of 20,000 keys)', pages.opsPerSec, 'pages/s', {
      note: `p99 ${pages.p99Ms.toFixed(2)} ms`,
    });
  } finally {
    s.close();
  }
}

async function watchDelivery(report: BenchReport, path: string): Promise<void> {
  const s = new SqliteBackend({ path });
  const committedAt = new Map<number, number>();
  const latencies: number[] = [];
  const watchers = Array.from({ length: 100 }, (_, w) =>
    s.watch('/registry/pods/', {
      afterRevision: 0,
      onEvents: (events) => {
        const now = performance.now();
        for (const e of events) latencies.push(now - committedAt.get(e.kv.modRevision)!);
      },
      onError: (err) => report.log(`watcher ${w}: ${err.message}`),
    }),
  );
  try {
    const writes = 1000;
    for (let i = 0; i < writes; i++) {
      const rev = s.create(`/registry/pods/default/w${i}`, VALUE);
      committedAt.set(rev, performance.now());
      if (i % 4 === 0) await new Promise((r) => setImmediate(r));
    }
    const deadline = Date.now() + 5000;
    while (latencies.length < writes * watchers.length && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 5));
    latencies.sort((a, b) => a - b);
    const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!;
    report.figure('watch delivery, 100 watchers, commit to callback p50', pct(50), 'ms', {
      note: `p99 ${pct(99).toFixed(2)} ms, ${latencies.length} deliveries`,
    });
  } finally {
    for (const w of watchers) w.close();
    s.close();
  }
}

async function pollingDelivery(report: BenchReport, path: string): Promise<void> {
  // Two store instances on one file stand for two processes: the watcher's instance is never told
  // about the writes and finds them by polling the table.
  const reader = new SqliteBackend({ path });
  const writer = new SqliteBackend({ path });
  const committedAt = new Map<number, number>();
  const latencies: number[] = [];
  const w = reader.watch('/registry/', {
    afterRevision: 0,
    onEvents: (events) => {
      const now = performance.now();
      for (const e of events) latencies.push(now - committedAt.get(e.kv.modRevision)!);
    },
    onError: (err) => report.log(`watcher: ${err.message}`),
  });
  try {
    for (let i = 0; i < 300; i++) {
      committedAt.set(writer.create(`/registry/pods/default/x${i}`, VALUE), performance.now());
      await new Promise((r) => setTimeout(r, 3));
    }
    const deadline = Date.now() + 2000;
    while (latencies.length < 300 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    latencies.sort((a, b) => a - b);
    const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!;
    report.figure("watch delivery of another process's writes (15 ms poll) p50", pct(50), 'ms', {
      note: `p99 ${pct(99).toFixed(2)} ms, ${latencies.length} deliveries`,
    });
  } finally {
    w.close();
    reader.close();
    writer.close();
  }
}

async function againstEtcd(report: BenchReport, path: string): Promise<void> {
  if (!existsSync('/usr/bin/etcd')) {
    report.log(
      'etcd reference skipped: /usr/bin/etcd is absent (Debian package etcd-server; `npm run bench` bootstrap installs it)',
    );
    return;
  }
  // The store as shipped (NORMAL: survives kill -9) and with an fsync per commit (FULL: survives
  // power loss, as etcd's fsync'd WAL does), so the ratio can be read either way.
  const normal = new SqliteBackend({ path });
  const full = new SqliteBackend({ path: path.replace(/\.db$/, '-full.db'), durability: 'full' });
  const etcd = await EtcdServer.start();
  try {
    report.log(`same pattern against the store and against etcd ${etcd.clientUrl} (HTTP/JSON gateway, keep-alive)`);
    const show = (label: string, r: PatternResult) =>
      report.figure(label, r.opsPerSec, 'ops/s', {
        note: `p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms`,
      });
    for (const clients of [1, 8, 32]) {
      const ops = clients === 1 ? 1000 : 2000;
      const kw = await runKvPattern(storeTarget(normal), { clients, ops, prefix: `/bench/kw/${clients}/` });
      const kwFull = await runKvPattern(storeTarget(full), { clients, ops, prefix: `/bench/kw/${clients}/` });
      const et = await runKvPattern(etcd.target(), { clients, ops, prefix: `/bench/etcd/${clients}/` });
      for (const kind of ['create', 'update', 'get'] as const) {
        show(`${clients} clients ${kind}: kubewire store`, kw[kind]);
        if (kind !== 'get') show(`${clients} clients ${kind}: kubewire store, synchronous=FULL`, kwFull[kind]);
        show(`${clients} clients ${kind}: etcd`, et[kind]);
        const ratio = kw[kind].opsPerSec / et[kind].opsPerSec;
        const ratioFull = kwFull[kind].opsPerSec / et[kind].opsPerSec;
        report.figure(
          `${clients} clients ${kind}: ratio kubewire/etcd`,
          ratio,
          'x',
          kind === 'get' ? undefined : { note: `FULL: ${ratioFull.toFixed(2)} x` },
        );
      }
    }
  } finally {
    await etcd.stop();
    normal.close();
    full.close();
  }
}

function storeTarget(s: SqliteBackend): KvTarget {
  return {
    create: (key, value) => s.create(key, value),
    update: (key, value, revision) => {
      const r = s.update(key, value, revision);
      if (!r.ok) throw new Error(`store: ${key} changed since revision ${revision}`);
      return r.revision;
    },
    get: (key) => s.get(key),
  };
}
