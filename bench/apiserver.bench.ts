// The apiserver end to end: create/update/get of ConfigMaps (1 KiB of data) over HTTPS keep-alive
// with 1, 8 and 32 concurrent clients, against `kubewire apiserver` in its own process over the
// SQLite store; watch delivery latency to 100 watchers; and, in the same run, the same write
// pattern against etcd (Debian's etcd-server, HTTP/JSON gateway) with the ratio. The goal figure
// (8 clients create) stands next to its two floors from the same run: the store's own ceiling (no
// HTTP) and a bare HTTPS server answering the same bytes (apiserver-floors.ts); beside it, the same
// creates with one admission webhook configured (for another resource, then for these creates).
// KW_BENCH_QUICK=1: only the goal figure, its floors and the webhook pair.
import type { ChildProcess } from 'node:child_process';
import { execaNode } from 'execa';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, createServer as createHttpsServer, request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import type { BenchReport } from './main.js';
import { EtcdServer, runConcurrent, runKvPattern, type KvTarget, type PatternResult } from './etcd-reference.js';
import { cpuSeconds, loadNote, startHttpsFloor, storeCeiling, STORED_BYTES } from './apiserver-floors.js';
import { ensurePki } from '../cluster/apiserver/pki.js';

export const name = 'apiserver';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

interface Client {
  call(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }>;
  stream(path: string, onLine: (line: string) => void): () => void;
  close(): void;
}

function client(url: string, ca: Buffer, token: string, maxSockets: number): Client {
  const agent = new Agent({ ca, keepAlive: true, maxSockets });
  return {
    call(method, path, body) {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      return new Promise((resolve, reject) => {
        const headers: Record<string, string | number> = {
          Authorization: `Bearer ${token}`,
          Accept: 'application/json',
        };
        if (payload)
          Object.assign(headers, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) });
        const req = request(url + path, { method, agent, headers }, (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (d: string) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : undefined }));
        });
        req.on('error', reject);
        req.end(payload);
      });
    },
    stream(path, onLine) {
      const streamAgent = new Agent({ ca, keepAlive: false });
      const req = request(url + path, { agent: streamAgent, headers: { Authorization: `Bearer ${token}` } }, (res) => {
        let buf = '';
        res.setEncoding('utf8').on('data', (d: string) => {
          buf += d;
          let i;
          while ((i = buf.indexOf('\n')) >= 0) {
            onLine(buf.slice(0, i));
            buf = buf.slice(i + 1);
          }
        });
      });
      req.on('error', () => {});
      req.end();
      return () => {
        req.destroy();
        streamAgent.destroy();
      };
    },
    close: () => agent.destroy(),
  };
}

/** `kubewire apiserver` in a child process on a free loopback port, over SQLite in a temp folder. */
async function startServer(): Promise<{ child: ChildProcess; url: string; kubeconfig: string; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'kw-apiserver-bench-'));
  const child = execaNode(
    join(root, 'dist', 'cli', 'main.js'),
    ['apiserver', '--state', dir, '--listen', '127.0.0.1:0'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      ipc: false,
      nodeOptions: [],
      buffer: false,
      reject: false,
    },
  );
  process.once('exit', () => child.kill('SIGKILL'));
  let out = '';
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /apiserver on (https:\/\/\S+);/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`kubewire apiserver exited with ${code}: ${err.trim()}`)));
    setTimeout(() => reject(new Error(`kubewire apiserver did not start in 20 s: ${err.trim()}`)), 20_000);
  });
  return { child, url, kubeconfig: join(dir, 'apiserver', 'admin.kubeconfig'), dir };
}

/** Wraps a target so each phase also yields the apiserver's CPU time per operation. */
function metered(target: KvTarget, pid: number, cpu: Record<string, number>): KvTarget {
  const wrap = <A extends unknown[], R>(phase: string, fn: (...a: A) => Promise<R> | R) => {
    return async (...a: A) => {
      cpu[`${phase}:start`] ??= cpuSeconds(pid);
      cpu[`${phase}:n`] = (cpu[`${phase}:n`] ?? 0) + 1;
      const r = await fn(...a);
      cpu[`${phase}:end`] = cpuSeconds(pid);
      return r;
    };
  };
  return { create: wrap('create', target.create), update: wrap('update', target.update), get: wrap('get', target.get) };
}

function apiTarget(c: Client, ns: string): KvTarget {
  const path = `/api/v1/namespaces/${ns}/configmaps`;
  const body = (key: string, value: Buffer, rv?: number) => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: key, ...(rv ? { resourceVersion: String(rv) } : {}) },
    data: { v: value.toString('latin1') },
  });
  return {
    async create(key, value) {
      const r = await c.call('POST', path, body(key, value));
      if (r.status !== 201) throw new Error(`create ${key}: ${r.status} ${r.json?.message}`);
      return Number(r.json.metadata.resourceVersion);
    },
    async update(key, value, rv) {
      const r = await c.call(
        'PUT',
        `${path}/${key}`,
        body(key, Buffer.concat([value.subarray(1), Buffer.from('y')]), rv),
      );
      if (r.status !== 200) throw new Error(`update ${key}: ${r.status} ${r.json?.message}`);
      return Number(r.json.metadata.resourceVersion);
    },
    async get(key) {
      const r = await c.call('GET', `${path}/${key}`);
      if (r.status !== 200) throw new Error(`get ${key}: ${r.status}`);
      return r.json;
    },
  };
}

async function watchDelivery(report: BenchReport, c: Client): Promise<void> {
  const ns = 'watch-bench';
  await c.call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const stops: (() => void)[] = [];
  let ready = 0;
  const WATCHERS = 100;
  const WRITES = 200;
  const list = await c.call('GET', `/api/v1/namespaces/${ns}/configmaps`);
  for (let i = 0; i < WATCHERS; i++) {
    let first = true;
    stops.push(
      c.stream(
        `/api/v1/namespaces/${ns}/configmaps?watch=1&resourceVersion=${list.json.metadata.resourceVersion}`,
        (line) => {
          const ev = JSON.parse(line);
          const t = sentAt.get(ev.object?.metadata?.name);
          if (first) {
            first = false;
            if (ev.object?.metadata?.name === 'probe') ready++;
          }
          if (t !== undefined && ev.type === 'ADDED') latencies.push(performance.now() - t);
        },
      ),
    );
  }
  try {
    // A probe write tells us every watch stream is established before the timed writes.
    await new Promise((r) => setTimeout(r, 500));
    await c.call('POST', `/api/v1/namespaces/${ns}/configmaps`, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'probe' },
    });
    const deadline = Date.now() + 10_000;
    while (ready < WATCHERS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    if (ready < WATCHERS) report.log(`only ${ready} of ${WATCHERS} watchers were established`);
    for (let i = 0; i < WRITES; i++) {
      const n = `w${i}`;
      sentAt.set(n, performance.now());
      await c.call('POST', `/api/v1/namespaces/${ns}/configmaps`, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: n },
        data: { i: String(i) },
      });
      await new Promise((r) => setTimeout(r, 5));
    }
    const end = Date.now() + 5000;
    while (latencies.length < WRITES * ready && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  } finally {
    stops.forEach((s) => s());
  }
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;
  report.figure(`watch delivery, ${WATCHERS} watchers, p50 (create sent → event read)`, pct(50), 'ms');
  report.figure(`watch delivery, ${WATCHERS} watchers, p99`, pct(99), 'ms', {
    goal: '≤ 50 ms',
    note: `${latencies.length} deliveries of ${WRITES * WATCHERS}`,
  });
}

const CREATE_GOAL = { opsPerSec: 4000, p99Ms: 15 };

/** The goal figure and its floors, each with the load it was measured under. */
async function createGoal(
  report: BenchReport,
  srv: { url: string; dir: string; child: ChildProcess },
  ca: Buffer,
  token: string,
): Promise<void> {
  const clients = 8;
  const ops = 4000;
  const ceiling = await storeCeiling(clients, ops);
  report.figure(
    `store ceiling: ${clients} writers create, group commit (no HTTP)`,
    ceiling.grouped.opsPerSec,
    'ops/s',
    {
      note: `p99 ${ceiling.grouped.p99Ms.toFixed(2)} ms, ${ceiling.meanBatch.toFixed(1)} writes per commit, ${STORED_BYTES} B values; ${loadNote()}`,
    },
  );
  report.figure('store ceiling: 64 writers create, group commit (no HTTP)', ceiling.grouped64.opsPerSec, 'ops/s', {
    note: `p99 ${ceiling.grouped64.p99Ms.toFixed(2)} ms; ${loadNote()}`,
  });
  report.figure('store ceiling: one create per transaction (no HTTP)', ceiling.single.opsPerSec, 'ops/s', {
    note: `p99 ${ceiling.single.p99Ms.toFixed(3)} ms; ${loadNote()}`,
  });

  const c = client(srv.url, ca, token, clients);
  const ns = 'create-goal';
  await c.call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  const target = apiTarget(c, ns);
  const value = Buffer.alloc(1024, 'x');
  // Warm-up (JIT, TLS sessions), then the timed run with the apiserver's CPU around it.
  await runConcurrent(clients, 400, (k, i) => target.create(`warm-${k}-${i}`, value));
  const sample = await c.call('GET', `/api/v1/namespaces/${ns}/configmaps/warm-0-0`);
  const cpu0 = cpuSeconds(srv.child.pid!);
  const kw = await runConcurrent(clients, ops, (k, i) => target.create(`cm-${k}-${i}`, value));
  const cpuPerReq = ((cpuSeconds(srv.child.pid!) - cpu0) / ops) * 1000;
  const load = loadNote();
  c.close();

  const floor = await startHttpsFloor(
    join(srv.dir, 'apiserver', 'apiserver.crt'),
    join(srv.dir, 'apiserver', 'apiserver.key'),
    JSON.stringify(sample.json).length - 40,
  );
  const fc = client(floor.url, ca, token, clients);
  let https: PatternResult;
  let floorCpu: number;
  try {
    const post = (k: number, i: number) =>
      fc.call('POST', '/x', { metadata: { name: `f${k}-${i}` }, data: { v: value.toString('latin1') } });
    await runConcurrent(clients, 400, post);
    const f0 = cpuSeconds(floor.pid);
    https = await runConcurrent(clients, ops, post);
    floorCpu = ((cpuSeconds(floor.pid) - f0) / ops) * 1000;
  } finally {
    fc.close();
    await floor.stop();
  }
  report.figure(`HTTPS floor: ${clients} clients POST to a bare node:https server`, https.opsPerSec, 'ops/s', {
    note: `p99 ${https.p99Ms.toFixed(2)} ms, server CPU ${floorCpu.toFixed(3)} ms/request; ${loadNote()}`,
  });

  const met = kw.opsPerSec >= CREATE_GOAL.opsPerSec && kw.p99Ms <= CREATE_GOAL.p99Ms;
  report.figure(`${clients} clients create: kubewire apiserver (goal figure)`, kw.opsPerSec, 'ops/s', {
    goal: `≥ ${CREATE_GOAL.opsPerSec} ops/s, p99 ≤ ${CREATE_GOAL.p99Ms} ms`,
    note: `${met ? '' : 'MISSED: '}p50 ${kw.p50Ms.toFixed(2)} ms, p99 ${kw.p99Ms.toFixed(2)} ms, apiserver CPU ${cpuPerReq.toFixed(3)} ms/request (→ ${Math.round(1000 / cpuPerReq)}/s per free core); ${load}`,
  });
  report.figure(`${clients} clients create: apiserver / store ceiling`, kw.opsPerSec / ceiling.grouped.opsPerSec, 'x');
  report.figure(`${clients} clients create: apiserver / HTTPS floor`, kw.opsPerSec / https.opsPerSec, 'x', {
    note: `CPU per request ${(cpuPerReq / floorCpu).toFixed(1)}x the bare server's`,
  });
}

/**
 * 8 clients create ConfigMaps with one ValidatingWebhookConfiguration present: first for pods only
 * (the common path: the chain checks the rules and stays synchronous), then for configmaps (every
 * create waits for an AdmissionReview round trip to a bare HTTPS webhook in this process).
 */
async function webhookPair(
  report: BenchReport,
  srv: { url: string; dir: string; child: ChildProcess },
  ca: Buffer,
  token: string,
): Promise<void> {
  const clients = 8;
  const ops = 2000;
  const pki = await ensurePki(join(srv.dir, 'bench-webhook'), ['IP:127.0.0.1']);
  let calls = 0;
  const hook = createHttpsServer({ cert: pki.cert, key: pki.key }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      calls++;
      const uid = JSON.parse(Buffer.concat(chunks).toString('utf8')).request.uid;
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(
        JSON.stringify({
          apiVersion: 'admission.k8s.io/v1',
          kind: 'AdmissionReview',
          response: { uid, allowed: true },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
  const c = client(srv.url, ca, token, clients);
  try {
    const ns = 'create-webhook';
    await c.call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    const target = apiTarget(c, ns);
    const value = Buffer.alloc(1024, 'x');
    const config = (resource: string) => ({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: { name: 'bench-webhook' },
      webhooks: [
        {
          name: 'bench.webhooks.example.com',
          clientConfig: {
            url: `https://127.0.0.1:${(hook.address() as AddressInfo).port}/validate`,
            caBundle: pki.caCertPem.toString('base64'),
          },
          rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: [resource] }],
          sideEffects: 'None',
          admissionReviewVersions: ['v1'],
        },
      ],
    });
    const path = '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations';
    let r = await c.call('POST', path, config('pods'));
    if (r.status !== 201) throw new Error(`webhook configuration: ${r.status} ${r.json?.message}`);
    await runConcurrent(clients, 400, (k, i) => target.create(`warm-${k}-${i}`, value));
    let cpu0 = cpuSeconds(srv.child.pid!);
    const other = await runConcurrent(clients, ops, (k, i) => target.create(`other-${k}-${i}`, value));
    let cpu = ((cpuSeconds(srv.child.pid!) - cpu0) / ops) * 1000;
    if (calls) throw new Error(`the pods-only webhook was called ${calls} times for configmaps`);
    report.figure(
      `${clients} clients create: one webhook configured, for pods (not called)`,
      other.opsPerSec,
      'ops/s',
      {
        note: `p50 ${other.p50Ms.toFixed(2)} ms, p99 ${other.p99Ms.toFixed(2)} ms, apiserver CPU ${cpu.toFixed(3)} ms/request; ${loadNote()}`,
      },
    );
    const current = await c.call('GET', `${path}/bench-webhook`);
    r = await c.call('PUT', `${path}/bench-webhook`, { ...config('configmaps'), metadata: current.json.metadata });
    if (r.status !== 200) throw new Error(`webhook configuration: ${r.status} ${r.json?.message}`);
    await runConcurrent(clients, 200, (k, i) => target.create(`warm2-${k}-${i}`, value));
    const before = calls;
    cpu0 = cpuSeconds(srv.child.pid!);
    const hooked = await runConcurrent(clients, ops, (k, i) => target.create(`hooked-${k}-${i}`, value));
    cpu = ((cpuSeconds(srv.child.pid!) - cpu0) / ops) * 1000;
    if (calls - before !== ops) throw new Error(`the webhook was called ${calls - before} times for ${ops} creates`);
    report.figure(`${clients} clients create: each through one validating webhook`, hooked.opsPerSec, 'ops/s', {
      note: `p50 ${hooked.p50Ms.toFixed(2)} ms, p99 ${hooked.p99Ms.toFixed(2)} ms, apiserver CPU ${cpu.toFixed(3)} ms/request; ${loadNote()}`,
    });
    await c.call('DELETE', `${path}/bench-webhook`);
  } finally {
    c.close();
    await new Promise<void>((resolve) => hook.close(() => resolve()));
  }
}

export async function run(report: BenchReport): Promise<void> {
  const srv = await startServer();
  const kc = parseYaml(readFileSync(srv.kubeconfig, 'utf8'));
  const ca = Buffer.from(kc.clusters[0].cluster['certificate-authority-data'], 'base64');
  const token = kc.users[0].user.token as string;
  if (process.env.KW_BENCH_QUICK) {
    try {
      await createGoal(report, srv, ca, token);
      await webhookPair(report, srv, ca, token);
    } finally {
      srv.child.kill('SIGTERM');
      await new Promise((r) => srv.child.once('exit', r));
      rmSync(srv.dir, { recursive: true, force: true });
    }
    return;
  }
  const etcd = existsSync('/usr/bin/etcd') ? await EtcdServer.start() : undefined;
  if (!etcd) report.log('etcd reference skipped: /usr/bin/etcd is absent (Debian package etcd-server)');
  try {
    report.log(
      `kubewire apiserver ${srv.url} (own process, SQLite store) vs etcd ${etcd?.clientUrl ?? '(absent)'}; ConfigMaps with 1 KiB of data`,
    );
    const show = (label: string, r: PatternResult, goal?: string) =>
      report.figure(label, r.opsPerSec, 'ops/s', {
        goal,
        note: `p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms`,
      });
    for (const clients of [1, 8, 32]) {
      const ops = clients === 1 ? 1000 : 2000;
      const c = client(srv.url, ca, token, clients);
      const ns = `bench-${clients}`;
      await c.call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
      const cpu: Record<string, number> = {};
      const kw = await runKvPattern(metered(apiTarget(c, ns), srv.child.pid!, cpu), { clients, ops, prefix: 'cm-' });
      c.close();
      const et = etcd
        ? await runKvPattern(etcd.target(), { clients, ops, prefix: `/registry/configmaps/bench-${clients}/cm-` })
        : undefined;
      for (const kind of ['create', 'update', 'get'] as const) {
        show(`${clients} clients ${kind}: kubewire apiserver`, kw[kind]);
        const perOp = ((cpu[`${kind}:end`]! - cpu[`${kind}:start`]!) / cpu[`${kind}:n`]!) * 1000;
        report.figure(`${clients} clients ${kind}: apiserver CPU per request`, perOp, 'ms', {
          note: `→ ${Math.round(1000 / perOp)}/s per free core`,
        });
        if (et) {
          show(`${clients} clients ${kind}: etcd`, et[kind]);
          report.figure(
            `${clients} clients ${kind}: ratio apiserver/etcd`,
            kw[kind].opsPerSec / et[kind].opsPerSec,
            'x',
          );
        }
      }
    }
    const c = client(srv.url, ca, token, 4);
    await watchDelivery(report, c);
    c.close();
    await createGoal(report, srv, ca, token);
    await webhookPair(report, srv, ca, token);
  } finally {
    await etcd?.stop();
    srv.child.kill('SIGTERM');
    await new Promise((r) => srv.child.once('exit', r));
    rmSync(srv.dir, { recursive: true, force: true });
  }
}
