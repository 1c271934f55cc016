// A Deployment of 100 replicas through the whole control plane: the real apiserver (HTTPS, SQLite
// store), the controller manager (Deployment → ReplicaSet → pods) and the real scheduler binding
// onto 10 fake Node objects (kwok-style: no agents). Figures: time from the create to all 100 pods
// created, to all bound, and (with a kwok-like status patcher making bound pods Ready) to the
// Deployment reporting 100 available. Run three times; the median is reported.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchReport } from './main.js';
import type { Deployment, Pod } from '../common/api-types.js';
import { ApiServer, DEFAULT_CONFIG } from '../cluster/apiserver/api-server.js';
import { openBackend } from '../cluster/apiserver/open-backend.js';
import { SystemClock } from '../cluster/client/clock.js';
import { SharedInformerFactory } from '../cluster/client/informer-factory.js';
import { Informer } from '../cluster/client/informer.js';
import { KubeClient } from '../cluster/client/kube-client.js';
import { ControllerManager } from '../cluster/controllers/controller-manager.js';
import { Scheduler } from '../cluster/scheduler/scheduler.js';

export const name = 'controllers';

const REPLICAS = 100;
const NODES = 10;

async function once(): Promise<{ created: number; bound: number; available: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'kw-controllers-bench-'));
  const backend = openBackend(join(dir, 'store.db'));
  const server = new ApiServer({
    backend,
    config: { ...DEFAULT_CONFIG, stateDir: join(dir, 'apiserver'), listen: [{ host: '127.0.0.1', port: 0 }] },
  });
  const stopServer = await server.start();
  const cfg = { server: server.url, ca: readFileSync(server.caPath), token: server.adminToken };
  const clients = [new KubeClient(cfg), new KubeClient(cfg), new KubeClient(cfg), new KubeClient(cfg)];
  const [cmClient, schedClient, watchClient, kwokClient] = clients as [KubeClient, KubeClient, KubeClient, KubeClient];
  const clock = new SystemClock();
  const cm = new ControllerManager({ client: cmClient, leaderElection: false, onError: () => {} });
  const factory = new SharedInformerFactory(schedClient, clock, { onError: () => {} });
  const scheduler = new Scheduler(schedClient, factory, clock, { onError: () => {} });
  try {
    for (let i = 1; i <= NODES; i++) {
      await watchClient.nodes.create({
        metadata: { name: `node${i}`, labels: { type: 'kwok' } },
        status: {
          allocatable: { cpu: '32', memory: '64Gi', pods: '110' },
          capacity: { cpu: '32', memory: '64Gi', pods: '110' },
          conditions: [{ type: 'Ready', status: 'True' }],
        },
      });
    }
    const stopCm = cm.start();
    scheduler.start();
    const pods = new Informer<Pod>(watchClient.pods, clock, { namespace: 'default', onError: () => {} });
    let created = 0;
    let bound = 0;
    let t0 = 0;
    let createdAt = 0;
    let boundAt = 0;
    const done = new Promise<void>((resolve) => {
      const readied = new Set<string>();
      const seen = (p: Pod) => {
        if (p.spec.nodeName && !readied.has(p.metadata.name!)) {
          readied.add(p.metadata.name!);
          bound++;
          if (bound === REPLICAS) boundAt = performance.now();
          // kwok's part: the bound pod is Running and Ready.
          const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
          void kwokClient.pods
            .patch(
              p.metadata.name!,
              {
                status: {
                  phase: 'Running',
                  podIP: `192.168.128.${readied.size % 250}`,
                  conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }],
                },
              },
              'merge',
              { namespace: 'default', subresource: 'status' },
            )
            .catch(() => {});
        }
        if (bound === REPLICAS && created === REPLICAS) resolve();
      };
      pods.addEventHandler({
        onAdd: (p) => {
          created++;
          if (created === REPLICAS) createdAt = performance.now();
          seen(p);
        },
        onUpdate: (_, p) => seen(p),
      });
    });
    const stopPods = pods.run();
    await pods.waitForSync();
    const d: Deployment = {
      metadata: { name: 'kubia', namespace: 'default' },
      spec: {
        replicas: REPLICAS,
        selector: { matchLabels: { app: 'kubia' } },
        template: {
          metadata: { labels: { app: 'kubia' } },
          spec: {
            containers: [
              { name: 'nodejs', image: 'luksa/kubia', resources: { requests: { cpu: '100m', memory: '64Mi' } } },
            ],
          },
        },
      },
    };
    t0 = performance.now();
    await watchClient.deployments.create(d);
    await done;
    for (;;) {
      const cur = await watchClient.deployments.get('kubia', 'default');
      if (cur.status?.availableReplicas === REPLICAS) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    const availableAt = performance.now();
    stopPods();
    stopCm();
    return { created: createdAt - t0, bound: boundAt - t0, available: availableAt - t0 };
  } finally {
    await scheduler.stop();
    factory.shutdown();
    await cm.stop();
    for (const c of clients) c.close();
    await stopServer();
    backend.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(report: BenchReport): Promise<void> {
  report.log(
    `Deployment of ${REPLICAS} replicas, ${NODES} fake nodes, apiserver on SQLite, controller manager + scheduler in this process; median of 3`,
  );
  const runs: { created: number; bound: number; available: number }[] = [];
  for (let i = 0; i < 3; i++) runs.push(await once());
  const median = (k: 'created' | 'bound' | 'available') => runs.map((r) => r[k]).sort((a, b) => a - b)[1]!;
  report.figure('create → all 100 pods created', median('created'), 'ms', {
    note: `runs: ${runs.map((r) => r.created.toFixed(0)).join(', ')}`,
  });
  report.figure('create → all 100 pods bound (scheduler)', median('bound'), 'ms', {
    note: `runs: ${runs.map((r) => r.bound.toFixed(0)).join(', ')}`,
  });
  report.figure('create → Deployment 100/100 available (kwok-ready)', median('available'), 'ms', {
    note: `runs: ${runs.map((r) => r.available.toFixed(0)).join(', ')}`,
  });
}
