// `npm run bench -- agents`: pod startup latency on the article's six nodes — a Deployment of 100
// kubia replicas, each pod timed from the moment a watch sees it created to the moment it is
// Running and Ready (scheduler → kubelet: sandbox, CNI, pause, container, status). Goal (issue 5,
// 2 cores): p99 ≤ 2 s. Runs on its own prefix and state folder and always tears down.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod } from '../common/api-types.js';
import { parseTopology } from '../common/topology/parse-topology.js';
import { ClusterDaemon } from '../cluster/agents/cluster-daemon.js';
import { Informer } from '../cluster/client/informer.js';
import { SystemClock } from '../cluster/client/clock.js';
import { NetnsDriver } from '../runtime/host/netns-driver.js';
import { LabPaths } from '../runtime/lab/lab-paths.js';
import { LabRuntime } from '../runtime/lab/lab-runtime.js';
import { openImageService } from '../runtime/images/local-image-service.js';
import { imageStoreDir } from '../runtime/images/oci-store.js';
import { defaultTopology, imagesDir, nodeInitBinary, pauseBinary, scriptsDir } from '../runtime/project-root.js';
import type { BenchReport } from './main.js';

export const name = 'agents';
const REPLICAS = 100;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export async function run(report: BenchReport): Promise<void> {
  const prefix = `kw-t${randomBytes(3).toString('hex')}-`;
  const stateBase = mkdtempSync(join(tmpdir(), 'kubewire-bench-agents-'));
  // The article's nodes without its hand-placed pods: only the Deployment's pods are timed.
  const topo = parseTopology(readFileSync(defaultTopology(), 'utf8'), defaultTopology(), { prefix });
  for (const n of topo.nodes) n.pods = [];
  // …and without its kubia Deployment and Service (topology objects), which the daemon would create.
  topo.objects = [];
  const driver = new NetnsDriver(scriptsDir());
  const paths = new LabPaths(stateBase, topo.name);
  const images = await openImageService({ dir: imageStoreDir() });
  const runtime = new LabRuntime(driver, paths, { internetServer: join(imagesDir(), 'internet-server.js') });
  let daemon: ClusterDaemon | undefined;
  let stopWatch: (() => void) | undefined;
  try {
    await runtime.up(topo);
    daemon = new ClusterDaemon({
      paths,
      driver,
      images,
      pauseBinary: pauseBinary(),
      nodeInitBinary: nodeInitBinary(),
      scriptsDir: scriptsDir(),
      apiserverPort: 0,
      log: () => {},
    });
    await daemon.start();
    const client = daemon.client;
    // Wait for the DNS pod so the cluster is idle before the burst.
    for (let i = 0; i < 300; i++) {
      const dns = (await client.pods.list({ namespace: 'kube-system' })).items;
      if (dns.some((p) => p.status?.phase === 'Running')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const created = new Map<string, number>();
    const readyAt = new Map<string, number>();
    const isReady = (p: Pod) =>
      p.status?.phase === 'Running' && !!p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    const seen = (p: Pod) => {
      const uid = p.metadata.uid!;
      if (!created.has(uid)) created.set(uid, performance.now());
      if (isReady(p) && !readyAt.has(uid)) readyAt.set(uid, performance.now());
    };
    const informer = new Informer<Pod>(client.pods, new SystemClock(), {
      namespace: 'default',
      labelSelector: 'app=bench',
    });
    informer.addEventHandler({ onAdd: seen, onUpdate: (_o, p) => seen(p) });
    stopWatch = informer.run();
    await informer.waitForSync();
    // Baseline in the same run: one pod alone on an idle cluster.
    await client.pods.create({
      metadata: { name: 'single', namespace: 'default', labels: { app: 'bench' } },
      spec: { containers: [{ name: 'kubia', image: 'kubia' }] },
    });
    for (let i = 0; i < 600 && readyAt.size < 1; i++) await new Promise((r) => setTimeout(r, 50));
    const single = [...readyAt].map(([uid, t]) => t - created.get(uid)!)[0];
    await client.pods.delete('single', 'default', { gracePeriodSeconds: 0 });
    while ((await client.pods.list({ namespace: 'default', labelSelector: 'app=bench' })).items.length)
      await new Promise((r) => setTimeout(r, 100));
    created.clear();
    readyAt.clear();
    if (single !== undefined) report.figure('one pod alone (baseline, same run)', single / 1000, 's');
    const t0 = performance.now();
    const load0 = loadavg()[0]!;
    await client.deployments.create({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'bench', namespace: 'default' },
      spec: {
        replicas: REPLICAS,
        selector: { matchLabels: { app: 'bench' } },
        template: {
          metadata: { labels: { app: 'bench' } },
          spec: { containers: [{ name: 'kubia', image: 'kubia', ports: [{ containerPort: 8080 }] }] },
        },
      },
    });
    const deadline = performance.now() + 180_000;
    while (readyAt.size < REPLICAS && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const total = performance.now() - t0;
    const lat = [...readyAt].map(([uid, t]) => t - created.get(uid)!).sort((a, b) => a - b);
    report.log(
      `article topology, ${topo.nodes.length} nodes, ${REPLICAS} kubia replicas; 1-min load average before ${load0.toFixed(2)}`,
    );
    if (lat.length < REPLICAS) report.log(`only ${lat.length} of ${REPLICAS} pods became Ready within 180 s`);
    report.figure('pods Running and Ready', lat.length, `of ${REPLICAS}`);
    report.figure('startup latency p50 (created -> Running+Ready)', percentile(lat, 50) / 1000, 's');
    report.figure('startup latency p99 (created -> Running+Ready)', percentile(lat, 99) / 1000, 's', {
      goal: '<= 2 s',
    });
    report.figure('startup latency max', lat[lat.length - 1]! / 1000, 's');
    report.figure('apply -> all Ready', total / 1000, 's');
  } finally {
    stopWatch?.();
    await daemon?.stop().catch(() => undefined);
    await runtime.reset(prefix);
    rmSync(stateBase, { recursive: true, force: true });
  }
}
