// metrics.k8s.io/v1beta1 (`kubectl top`), computed the way metrics-server does it: scrape every
// node's kubelet /metrics/resource (through the same kubelet connection as pods/log), keep the
// previous scrape, and turn the cumulative CPU counters into a rate over the window between the
// two; memory is the working set. Served by the apiserver itself on an internal route, because
// this cluster has no APIService aggregation yet (metrics-server runs behind one).
import { request } from 'node:http';
import type { ServerResponse } from 'node:http';
import { connect as tlsConnect } from 'node:tls';
import type { KObject } from '../registry/object-store.js';
import { ApiError, notFound } from '../status.js';
import { sendJson, type ApiContext } from './context.js';
import type { KubeletConnector } from './kubelet-proxy.js';
import { rfc3339 } from '../../../common/time.js';

interface Sample {
  at: number;
  nodeCpu: number;
  nodeMem: number;
  containers: Map<string, { ns: string; pod: string; name: string; cpu: number; mem: number }>;
}

/** Parses the kubelet's Prometheus text (the series metrics-server reads). */
export function parseResourceMetrics(text: string, at: number): Sample {
  const s: Sample = { at, nodeCpu: 0, nodeMem: 0, containers: new Map() };
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^(\w+)(?:\{([^}]*)\})? (\S+)/.exec(line);
    if (!m) continue;
    const [, name, labelText, value] = m;
    const labels = Object.fromEntries(
      [...(labelText ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1]!, x[2]!]),
    );
    const v = Number(value);
    if (name === 'node_cpu_usage_seconds_total') s.nodeCpu = v;
    else if (name === 'node_memory_working_set_bytes') s.nodeMem = v;
    else if (name === 'container_cpu_usage_seconds_total' || name === 'container_memory_working_set_bytes') {
      const key = `${labels.namespace}/${labels.pod}/${labels.container}`;
      const c = s.containers.get(key) ?? {
        ns: labels.namespace!,
        pod: labels.pod!,
        name: labels.container!,
        cpu: 0,
        mem: 0,
      };
      if (name === 'container_cpu_usage_seconds_total') c.cpu = v;
      else c.mem = v;
      s.containers.set(key, c);
    }
  }
  return s;
}

const cpuQuantity = (cores: number) => `${Math.max(0, Math.round(cores * 1e9))}n`;
const memQuantity = (bytes: number) => `${Math.round(bytes / 1024)}Ki`;
const stamp = (ms: number) => rfc3339(ms);

export class MetricsApi {
  private readonly last = new Map<string, Sample>();
  private readonly prev = new Map<string, Sample>();

  constructor(private readonly ctx: ApiContext) {}

  async serve(res: ServerResponse, path: string[], verb: string): Promise<void> {
    // path: after /apis/metrics.k8s.io/v1beta1
    if (verb !== 'get' && verb !== 'list')
      throw new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
    const conn = this.ctx.kubelet;
    if (!conn)
      throw new ApiError(
        503,
        'ServiceUnavailable',
        'the server is currently unable to handle the request (get nodes.metrics.k8s.io)',
      );
    const nodes = this.ctx.store.list(this.ctx.catalog.find('', 'v1', 'nodes')!, '', {}).items;
    const windows = await this.refresh(conn, nodes);
    const ns = path[0] === 'namespaces' ? path[1]! : '';
    const rest = ns ? path.slice(2) : path;
    const [resource, name] = rest;
    if (resource === 'nodes') {
      const items = nodes.flatMap((n) => {
        const w = windows.get(n.metadata!.name);
        if (!w) return [];
        return [
          {
            metadata: { name: n.metadata!.name, creationTimestamp: stamp(w.cur.at), labels: n.metadata!.labels ?? {} },
            timestamp: stamp(w.prev.at),
            window: `${((w.cur.at - w.prev.at) / 1000).toFixed(3)}s`,
            usage: { cpu: cpuQuantity(w.rate(w.cur.nodeCpu, w.prev.nodeCpu)), memory: memQuantity(w.cur.nodeMem) },
          },
        ];
      });
      return this.answer(res, 'NodeMetrics', items, name, 'nodes');
    }
    if (resource === 'pods') {
      const pods = this.ctx.store.list(this.ctx.catalog.find('', 'v1', 'pods')!, ns, {}).items;
      const items = pods.flatMap((p) => {
        const w = windows.get(p.spec?.nodeName ?? '');
        if (!w) return [];
        const key = `${p.metadata!.namespace}/${p.metadata!.name}/`;
        const containers = [...w.cur.containers.entries()]
          .filter(([k]) => k.startsWith(key))
          .map(([k, c]) => {
            const before = w.prev.containers.get(k);
            return {
              name: c.name,
              usage: { cpu: cpuQuantity(before ? w.rate(c.cpu, before.cpu) : 0), memory: memQuantity(c.mem) },
            };
          });
        if (!containers.length) return [];
        return [
          {
            metadata: {
              name: p.metadata!.name,
              namespace: p.metadata!.namespace,
              creationTimestamp: stamp(w.cur.at),
              labels: p.metadata!.labels ?? {},
            },
            timestamp: stamp(w.prev.at),
            window: `${((w.cur.at - w.prev.at) / 1000).toFixed(3)}s`,
            containers,
          },
        ];
      });
      return this.answer(res, 'PodMetrics', items, name, 'pods');
    }
    throw new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
  }

  private answer(res: ServerResponse, kind: string, items: KObject[], name: string | undefined, plural: string): void {
    const apiVersion = 'metrics.k8s.io/v1beta1';
    if (name) {
      const one = items.find((i) => i.metadata?.name === name);
      if (!one) throw notFound(plural, 'metrics.k8s.io', name);
      return sendJson(res, 200, { kind, apiVersion, ...one });
    }
    sendJson(res, 200, { kind: `${kind}List`, apiVersion, metadata: {}, items });
  }

  /** A fresh scrape of every node, and the window against the one before (≥ 1 s apart). */
  private async refresh(conn: KubeletConnector, nodes: KObject[]) {
    await Promise.all(
      nodes.map(async (n) => {
        const name = n.metadata!.name as string;
        const cur = this.last.get(name);
        if (cur && Date.now() - cur.at < 1000 && this.prev.has(name)) return;
        const addr = (n.status?.addresses ?? []).find((a: KObject) => a.type === 'InternalIP')?.address;
        const ready = (n.status?.conditions ?? []).some((c: KObject) => c.type === 'Ready' && c.status === 'True');
        if (!addr || !ready) return;
        const port = n.status?.daemonEndpoints?.kubeletEndpoint?.Port ?? 10250;
        try {
          if (!cur) {
            this.prev.set(name, await scrape(conn, addr, port));
            await new Promise((r) => setTimeout(r, 1000));
          } else if (Date.now() - cur.at >= 1000) this.prev.set(name, cur);
          this.last.set(name, await scrape(conn, addr, port));
        } catch {
          this.last.delete(name); // an unreachable kubelet has no figures (metrics-server skips it)
        }
      }),
    );
    const out = new Map<string, { cur: Sample; prev: Sample; rate(a: number, b: number): number }>();
    for (const n of nodes) {
      const name = n.metadata!.name as string;
      const cur = this.last.get(name);
      const prev = this.prev.get(name);
      if (!cur || !prev || cur.at <= prev.at) continue;
      const secs = (cur.at - prev.at) / 1000;
      out.set(name, { cur, prev, rate: (a, b) => Math.max(0, a - b) / secs });
    }
    return out;
  }
}

function scrape(conn: KubeletConnector, host: string, port: number): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        method: 'GET',
        path: '/metrics/resource',
        headers: { host: `${host}:${port}` },
        timeout: 5000,
        createConnection: () =>
          tlsConnect({
            socket: conn.dial(host, port),
            host,
            ca: conn.tls.ca,
            cert: conn.tls.cert,
            key: conn.tls.key,
            checkServerIdentity: (_h, c) =>
              (c.subjectaltname ?? '').split(', ').includes(`IP Address:${host}`)
                ? undefined
                : new Error('bad kubelet certificate'),
          }) as never,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (b: Buffer) => chunks.push(b));
        res.on('end', () =>
          res.statusCode === 200
            ? resolve(parseResourceMetrics(Buffer.concat(chunks).toString(), Date.now()))
            : reject(new Error(`kubelet answered ${res.statusCode}`)),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}
