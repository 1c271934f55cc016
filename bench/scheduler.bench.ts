// Scheduler throughput: 1,000 and 5,000 pods onto 1,000 fake nodes (Node objects with no agents, as
// kwok makes them). First the scheduling algorithm with its cache alone (filter, score, select,
// assume), then end to end through the real apiserver: informers, binding over HTTPS, Scheduled
// events, next to the algorithm alone from the same run (the scheduler's own floor: what it costs
// with no HTTP, store or watch at all) and the process's CPU per pod. Goal on 2 cores: ≥ 1,500
// pods/s end to end (issue 13); a figure under it says MISSED. Knobs: KW_BENCH_E2E_ONLY=1 (only the 1,000-pod end-to-end
// run), KW_BENCH_MEMORY=1 (apiserver over the in-memory store), KW_BENCH_VERBOSE=1 (progress lines).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Node, Pod } from '../common/api-types.js';
import { ApiServer, DEFAULT_CONFIG } from '../cluster/apiserver/api-server.js';
import { openBackend } from '../cluster/apiserver/open-backend.js';
import { SystemClock } from '../cluster/client/clock.js';
import { SharedInformerFactory } from '../cluster/client/informer-factory.js';
import { KubeClient } from '../cluster/client/kube-client.js';
import { ScheduleAlgorithm } from '../cluster/scheduler/algorithm.js';
import { newPodInfo } from '../cluster/scheduler/node-info.js';
import { defaultProfile } from '../cluster/scheduler/profile.js';
import { SchedulerCache } from '../cluster/scheduler/scheduler-cache.js';
import { Scheduler } from '../cluster/scheduler/scheduler.js';
import type { BenchReport } from './main.js';
import { loadNote } from './apiserver-floors.js';

export const name = 'scheduler';

const NODES = 1000;

/** kube-scheduler's perf-test node template: 4 CPU, 32 GiB, 110 pods; zone labels for realism. */
function fakeNode(i: number): Node {
  const name = `kwok-node-${i}`;
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: { 'kubernetes.io/hostname': name, 'topology.kubernetes.io/zone': `zone-${i % 3}`, type: 'kwok' },
    },
    spec: {},
    status: {
      allocatable: { cpu: '4', memory: '32Gi', pods: '110' },
      capacity: { cpu: '4', memory: '32Gi', pods: '110' },
    },
  };
}

/** A Deployment-like pod with modest requests. */
function fakePod(i: number): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `pod-${i}`, namespace: 'default', labels: { app: 'bench' } },
    spec: {
      containers: [
        {
          name: 'pause',
          image: 'registry.k8s.io/pause:3.10',
          resources: { requests: { cpu: '100m', memory: '500Mi' } },
        },
      ],
    },
  };
}

const E2E_GOAL = 1500;

export async function run(report: BenchReport): Promise<void> {
  const alone = new Map<number, number>();
  // The algorithm alone is cheap: always measured, it is the end-to-end figure's baseline.
  for (const pods of [1000, 5000]) alone.set(pods, algorithmOnly(report, pods));
  for (const pods of process.env.KW_BENCH_E2E_ONLY ? [1000] : [1000, 5000])
    await endToEnd(report, pods, alone.get(pods)!);
}

function algorithmOnly(report: BenchReport, pods: number): number {
  const cache = new SchedulerCache();
  for (let i = 0; i < NODES; i++) cache.upsertNode(fakeNode(i));
  const algo = new ScheduleAlgorithm(defaultProfile(), Math.random);
  const t0 = performance.now();
  let placed = 0;
  for (let i = 0; i < pods; i++) {
    const pod = fakePod(i);
    const d = algo.schedule(newPodInfo(pod), cache, 0);
    if (d.selected) {
      cache.assumePod(pod, d.selected);
      placed++;
    }
  }
  const secs = (performance.now() - t0) / 1000;
  if (placed !== pods) throw new Error(`only ${placed}/${pods} pods placed`);
  const perNode = cache.nodeInfos().map((n) => n.pods.size);
  report.figure(`algorithm + cache: ${pods} pods onto ${NODES} nodes`, pods / secs, 'pods/s', {
    goal: '≥ 1000',
    note: `${(secs * 1000).toFixed(0)} ms; pods per node ${Math.min(...perNode)}–${Math.max(...perNode)}; ${loadNote()}`,
  });
  return pods / secs;
}

async function endToEnd(report: BenchReport, pods: number, algorithmAlone: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'kw-scheduler-bench-'));
  const backend = openBackend(process.env.KW_BENCH_MEMORY ? undefined : join(dir, 'store.db'));
  const server = new ApiServer({
    backend,
    config: { ...DEFAULT_CONFIG, stateDir: join(dir, 'apiserver'), listen: [{ host: '127.0.0.1', port: 0 }] },
  });
  const stopServer = await server.start();
  const client = new KubeClient({ server: server.url, ca: readFileSync(server.caPath), token: server.adminToken });
  const clock = new SystemClock();
  const errors: string[] = [];
  const factory = new SharedInformerFactory(client, clock, {
    onError: (e, c) => errors.push(`informer ${c}: ${(e as Error).message}`),
  });
  const scheduler = new Scheduler(client, factory, clock, {
    onError: (e, c) => errors.push(`${c}: ${(e as Error).message}`),
  });
  try {
    const t = performance.now();
    await inParallel(NODES, 16, (i) => client.nodes.create(fakeNode(i)));
    await inParallel(pods, 16, (i) => client.pods.create(fakePod(i)));
    report.log(
      `setup: ${NODES} nodes and ${pods} pods created through the API in ${(performance.now() - t).toFixed(0)} ms`,
    );
    // Everything is pending before the scheduler starts, so the figure is the scheduler's own pace:
    // initial list, then schedule + bind + Scheduled event for every pod.
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    scheduler.start();
    let lastLog = performance.now();
    while (scheduler.bound < pods) {
      if (process.env.KW_BENCH_VERBOSE && performance.now() - lastLog > 2000) {
        lastLog = performance.now();
        report.log(
          `  … ${scheduler.bound} bound, ${scheduler.cache.podCount()} in cache, ${errors.length} errors ${errors.slice(-2).join(' | ')}`,
        );
      }
      if (errors.length > 20) throw new Error(`scheduler errors: ${errors.slice(0, 3).join('; ')}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    const secs = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const load = loadNote();
    const list = await client.pods.list({ namespace: 'default' });
    const unbound = list.items.filter((p) => !p.spec.nodeName).length;
    if (unbound) throw new Error(`${unbound} pods still without a node after ${pods} bindings were acknowledged`);
    // One process holds the apiserver, the informers and the scheduler: its CPU per pod is the
    // figure that does not depend on what else the machine runs.
    const cpuPerPod = (cpu.user + cpu.system) / 1000 / pods;
    const rate = pods / secs;
    report.figure(`end to end (HTTPS apiserver, binding): ${pods} pods onto ${NODES} nodes`, rate, 'pods/s', {
      goal: `≥ ${E2E_GOAL}`,
      note: `${rate >= E2E_GOAL ? '' : 'MISSED: '}${(secs * 1000).toFixed(0)} ms incl. the initial list; CPU ${cpuPerPod.toFixed(2)} ms/pod (→ ${Math.round(1000 / cpuPerPod)} pods/s per free core); ${errors.length} errors; ${load}`,
    });
    report.figure(`end to end / algorithm alone (${pods} pods, same run)`, rate / algorithmAlone, 'x');
  } finally {
    await scheduler.stop();
    factory.shutdown();
    client.close();
    await stopServer();
    backend.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function inParallel(n: number, width: number, fn: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < n) await fn(next++);
    }),
  );
}
