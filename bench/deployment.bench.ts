// Deployment of 100 replicas: time from creating the Deployment to all 100 pods bound, with the
// real apiserver (SQLite store), the controller manager (Deployment + ReplicaSet controllers) and
// the scheduler, onto 20 fake nodes (Node objects with no agents, as kwok makes them).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Deployment, Node } from '../common/api-types.js';
import { ApiServer, DEFAULT_CONFIG } from '../cluster/apiserver/api-server.js';
import { openBackend } from '../cluster/apiserver/open-backend.js';
import { SystemClock } from '../cluster/client/clock.js';
import { KubeClient } from '../cluster/client/kube-client.js';
import { ControllerManager } from '../cluster/controllers/controller-manager.js';
import { SchedulerServer } from '../cluster/scheduler/scheduler-server.js';
import type { BenchReport } from './main.js';

export const name = 'deployment';

const REPLICAS = 100;
const NODES = 20;

function fakeNode(i: number): Node {
  const name = `kwok-node-${i}`;
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, type: 'kwok' } },
    status: {
      allocatable: { cpu: '4', memory: '32Gi', pods: '110' },
      capacity: { cpu: '4', memory: '32Gi', pods: '110' },
    },
  };
}

const deployment: Deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'kubia', namespace: 'default' },
  spec: {
    replicas: REPLICAS,
    selector: { matchLabels: { app: 'kubia' } },
    template: {
      metadata: { labels: { app: 'kubia' } },
      spec: {
        containers: [{ name: 'kubia', image: 'luksa/kubia', resources: { requests: { cpu: '10m', memory: '32Mi' } } }],
      },
    },
  },
};

export async function run(report: BenchReport): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'kw-deployment-bench-'));
  const backend = openBackend(join(dir, 'store.db'));
  const server = new ApiServer({
    backend,
    config: { ...DEFAULT_CONFIG, stateDir: join(dir, 'apiserver'), listen: [{ host: '127.0.0.1', port: 0 }] },
  });
  const stopServer = await server.start();
  const client = new KubeClient({ server: server.url, ca: readFileSync(server.caPath), token: server.adminToken });
  const errors: string[] = [];
  const onError = (e: unknown, c: string) => errors.push(`${c}: ${(e as Error).message}`);
  const cm = new ControllerManager({
    client,
    clock: new SystemClock(),
    leaderElection: false,
    controllers: ['deployment', 'replicaset'],
    onError,
  });
  const scheduler = new SchedulerServer({ client, leaderElection: false, onError });
  try {
    for (let i = 0; i < NODES; i++) await client.nodes.create(fakeNode(i));
    cm.start();
    scheduler.start();
    await new Promise((r) => setTimeout(r, 300)); // let both finish their first lists
    const t0 = performance.now();
    await client.deployments.create(deployment);
    let bound = 0;
    let created = 0;
    let createdAt = 0;
    for (;;) {
      const pods = (await client.pods.list({ namespace: 'default', labelSelector: 'app=kubia' })).items;
      created = pods.length;
      if (created >= REPLICAS && !createdAt) createdAt = performance.now();
      bound = pods.filter((p) => p.spec.nodeName).length;
      if (bound >= REPLICAS) break;
      if (performance.now() - t0 > 120_000)
        throw new Error(
          `after 120 s: ${created} pods created, ${bound} bound; errors: ${errors.slice(0, 3).join('; ')}`,
        );
      await new Promise((r) => setTimeout(r, 25));
    }
    const ms = performance.now() - t0;
    report.figure(`Deployment of ${REPLICAS} replicas: create → all pods bound`, ms, 'ms', {
      note: `${NODES} fake nodes; all ${REPLICAS} pods created after ${((createdAt || performance.now()) - t0).toFixed(0)} ms; ${errors.length} errors`,
    });
  } finally {
    await scheduler.stop();
    await cm.stop();
    client.close();
    await stopServer();
    backend.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
