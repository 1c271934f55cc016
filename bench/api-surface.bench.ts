// The API as kubectl sees it (issue 11): server-side apply of a 100-replica Deployment against a
// merge patch of the same manifest, and a cold kubectl's discovery + OpenAPI v3 fetch against the
// plain resource lists. Both against an in-process apiserver on a loopback port; ratios are
// of figures measured in this run.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { ApiServer, DEFAULT_CONFIG } from '../cluster/apiserver/api-server.js';
import { openBackend } from '../cluster/apiserver/open-backend.js';
import { execa } from 'execa';
import type { BenchReport } from './main.js';

export const name = 'api-surface';

const KUBECTL = '/usr/bin/kubectl';
const ROUNDS = 7;

export async function startInProcess(
  opts: { aggregatedDiscovery?: boolean } = {},
): Promise<{ server: ApiServer; dir: string; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'kw-api-surface-bench-'));
  const backend = openBackend(join(dir, 'store.db'));
  const server = new ApiServer({
    backend,
    config: {
      ...DEFAULT_CONFIG,
      stateDir: join(dir, 'apiserver'),
      listen: [{ host: '127.0.0.1', port: 0 }],
      compaction: false,
      aggregatedDiscovery: opts.aggregatedDiscovery,
    },
  });
  const stop = await server.start();
  return {
    server,
    dir,
    async stop() {
      await stop();
      backend.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Wall time of one kubectl run with an empty cache (a fresh HOME and cache folder each time). */
async function coldKubectl(kubeconfig: string, args: string[]): Promise<number> {
  const home = mkdtempSync(join(tmpdir(), 'kw-api-surface-home-'));
  try {
    const t0 = performance.now();
    // The apiserver runs in this process: the kubectl run must not block its event loop.
    await execa(KUBECTL, [...args, `--cache-dir=${join(home, 'cache')}`], {
      env: { KUBECONFIG: kubeconfig, HOME: home },
    });
    return performance.now() - t0;
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

const AGGREGATED =
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';

/** GETs as Go's transport sends them (gzip accepted, body decoded and parsed), on a new connection. */
async function fetchAll(
  server: ApiServer,
  plan: (get: (path: string, accept?: string) => Promise<any>) => Promise<void>,
): Promise<number> {
  const agent = new Agent({ ca: readFileSync(server.caPath), keepAlive: true });
  const token = server.adminToken;
  const get = (path: string, accept = 'application/json') =>
    new Promise<any>((resolve, reject) => {
      const req = request(
        server.url + path,
        { agent, headers: { Authorization: `Bearer ${token}`, Accept: accept, 'Accept-Encoding': 'gzip' } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const raw = Buffer.concat(chunks);
            resolve(JSON.parse((res.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8')));
          });
        },
      );
      req.on('error', reject);
      req.end();
    });
  const t0 = performance.now();
  try {
    await plan(get);
    return performance.now() - t0;
  } finally {
    agent.destroy();
  }
}

async function httpFigures(report: BenchReport): Promise<void> {
  const s = await startInProcess();
  try {
    const base: number[] = [];
    const full: number[] = [];
    for (let i = 0; i < ROUNDS + 1; i++) {
      // What a cold client does without aggregated discovery: /api, /apis, then every list.
      const b = await fetchAll(s.server, async (get) => {
        const api = await get('/api');
        const apis = await get('/apis');
        const gvs = [
          ...api.versions.map((v: string) => `/api/${v}`),
          ...apis.groups.flatMap((g: any) => g.versions.map((v: any) => `/apis/${v.groupVersion}`)),
        ];
        await Promise.all(gvs.map((p: string) => get(p)));
      });
      // kubectl 1.32: aggregated /api and /apis, then the OpenAPI v3 index and the core document.
      const f = await fetchAll(s.server, async (get) => {
        await Promise.all([get('/api', AGGREGATED), get('/apis', AGGREGATED)]);
        const index = await get('/openapi/v3');
        await get(index.paths['api/v1'].serverRelativeURL);
      });
      if (i > 0) {
        base.push(b);
        full.push(f);
      }
    }
    report.figure('HTTP: plain discovery, every resource list (baseline)', median(base), 'ms', {
      note: `median of ${ROUNDS}, new TLS connection each`,
    });
    report.figure('HTTP: aggregated discovery + OpenAPI v3 index + api/v1', median(full), 'ms');
    report.figure(
      'ratio: discovery + OpenAPI v3 / plain resource lists (server side)',
      median(full) / median(base),
      '×',
      { goal: '≤ 1.2×' },
    );
  } finally {
    await s.stop();
  }
}

async function discoveryFigures(report: BenchReport): Promise<void> {
  if (!existsSync(KUBECTL)) {
    report.log(`cold kubectl discovery: skipped, ${KUBECTL} is not installed`);
    return;
  }
  const plain = await startInProcess({ aggregatedDiscovery: false });
  const full = await startInProcess();
  try {
    const base: number[] = [];
    const withSpec: number[] = [];
    const getPods: number[] = [];
    // Interleaved, so both sides see the same machine load.
    for (let i = 0; i < ROUNDS; i++) {
      base.push(await coldKubectl(plain.server.kubeconfigPath, ['get', 'pods']));
      getPods.push(await coldKubectl(full.server.kubeconfigPath, ['get', 'pods']));
      withSpec.push(await coldKubectl(full.server.kubeconfigPath, ['explain', 'pods.spec.containers']));
    }
    report.figure('cold kubectl get pods, plain resource lists (baseline)', median(base), 'ms', {
      note: `median of ${ROUNDS}`,
    });
    report.figure('cold kubectl get pods, aggregated discovery', median(getPods), 'ms');
    report.figure('cold kubectl explain (aggregated discovery + OpenAPI v3)', median(withSpec), 'ms');
    // kubectl parses the 1.2 MB api/v1 document and renders the explanation: most of this ratio
    // is kubectl's own work (the server answers both documents in ~10 ms, see the HTTP figures).
    report.figure('ratio: cold kubectl explain / cold kubectl get pods (plain)', median(withSpec) / median(base), '×', {
      note: 'includes kubectl parsing the spec',
    });
    report.figure('ratio: cold kubectl get pods, aggregated / plain', median(getPods) / median(base), '×', {
      goal: '≤ 1.2×',
    });
  } finally {
    await plain.stop();
    await full.stop();
  }
}

/** A 100-replica Deployment manifest as a person applies it (containers with ports, env, probes). */
function manifest(value: number): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'big', labels: { app: 'big', tier: 'web' }, annotations: { note: `v${value}` } },
    spec: {
      replicas: 100,
      selector: { matchLabels: { app: 'big' } },
      template: {
        metadata: { labels: { app: 'big', tier: 'web' } },
        spec: {
          containers: ['web', 'sidecar'].map((name, i) => ({
            name,
            image: `registry.local/${name}:1.${i}`,
            ports: [{ containerPort: 8080 + i, name: `http-${i}` }],
            env: Array.from({ length: 10 }, (_, j) => ({
              name: `VAR_${j}`,
              value: j === 0 ? String(value) : `value-${j}`,
            })),
            resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '128Mi' } },
            readinessProbe: { httpGet: { path: '/healthz', port: 8080 + i } },
          })),
        },
      },
    },
  };
}

async function applyFigures(report: BenchReport): Promise<void> {
  const s = await startInProcess();
  const agent = new Agent({ ca: readFileSync(s.server.caPath), keepAlive: true });
  const token = s.server.adminToken;
  const patch = (contentType: string, query: string, body: unknown) =>
    new Promise<number>((resolve, reject) => {
      const payload = JSON.stringify(body);
      const t0 = performance.now();
      const req = request(
        `${s.server.url}/apis/apps/v1/namespaces/default/deployments/big?${query}`,
        {
          method: 'PATCH',
          agent,
          headers: {
            Authorization: `Bearer ${token}`,
            'Content-Type': contentType,
            'Content-Length': Buffer.byteLength(payload),
          },
        },
        (res) => {
          res.resume();
          res.on('end', () =>
            res.statusCode === 200 || res.statusCode === 201
              ? resolve(performance.now() - t0)
              : reject(new Error(`PATCH answered ${res.statusCode}`)),
          );
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  try {
    await patch('application/apply-patch+yaml', 'fieldManager=bench', manifest(0));
    const ssa: number[] = [];
    const merge: number[] = [];
    const rounds = 60;
    // Interleaved; each request changes one value so both write a new revision.
    for (let i = 1; i <= rounds; i++) {
      ssa.push(await patch('application/apply-patch+yaml', 'fieldManager=bench&force=true', manifest(2 * i)));
      merge.push(await patch('application/merge-patch+json', 'fieldManager=bench-merge', manifest(2 * i + 1)));
    }
    const drop = (xs: number[]) => xs.slice(10);
    report.figure('merge patch of a 100-replica Deployment manifest (baseline)', median(drop(merge)), 'ms', {
      note: `median of ${rounds - 10}`,
    });
    report.figure('server-side apply of the same manifest', median(drop(ssa)), 'ms');
    report.figure('ratio: server-side apply / merge patch', median(drop(ssa)) / median(drop(merge)), '×', {
      goal: '≤ 2×',
    });
  } finally {
    agent.destroy();
    await s.stop();
  }
}

export async function run(report: BenchReport): Promise<void> {
  await applyFigures(report);
  await httpFigures(report);
  await discoveryFigures(report);
}
