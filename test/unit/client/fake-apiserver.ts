// A small HTTP server speaking just enough of the Kubernetes list/watch protocol for one resource
// (core/v1 pods) to drive the client and informer in unit tests: a revision counter, an event log,
// compaction that makes older watches answer 410 Expired, Status bodies for errors.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Pod, Status } from '../../../common/api-types.js';

interface LoggedEvent {
  rv: number;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: Pod;
}

export interface SeenRequest {
  method: string;
  url: string;
  contentType?: string;
  authorization?: string;
  body?: unknown;
}

export class FakePodServer {
  rv = 1;
  compacted = 0;
  readonly pods = new Map<string, Pod>();
  readonly log: LoggedEvent[] = [];
  readonly requests: SeenRequest[] = [];
  private readonly watchers = new Set<{ after: number; res: http.ServerResponse }>();
  private server!: http.Server;
  url = '';

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => this.handle(req, res));
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const w of this.watchers) w.res.destroy();
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }

  put(name: string, labels: Record<string, string> = {}, log = true): Pod {
    const key = `default/${name}`;
    const type = this.pods.has(key) ? 'MODIFIED' : 'ADDED';
    const pod: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'default', labels, resourceVersion: String(++this.rv) },
      spec: { containers: [{ name: 'c', image: 'x' }] },
    };
    this.pods.set(key, pod);
    this.emit({ rv: this.rv, type, object: pod }, log);
    return pod;
  }

  remove(name: string, log = true): void {
    const key = `default/${name}`;
    const old = this.pods.get(key);
    if (!old) return;
    this.pods.delete(key);
    const obj = { ...old, metadata: { ...old.metadata, resourceVersion: String(++this.rv) } };
    this.emit({ rv: this.rv, type: 'DELETED', object: obj }, log);
  }

  /** Drops the event log up to now and ends every open watch, as a compaction plus restart would. */
  compactAndDropWatches(): void {
    this.compacted = this.rv;
    this.log.length = 0;
    for (const w of this.watchers) w.res.end();
    this.watchers.clear();
  }

  openWatches(): number {
    return this.watchers.size;
  }

  private emit(ev: LoggedEvent, log: boolean): void {
    // An unlogged change is one no watcher ever hears of (as if it fell in a compacted window).
    if (!log) return;
    this.log.push(ev);
    for (const w of this.watchers)
      if (ev.rv > w.after) w.res.write(JSON.stringify({ type: ev.type, object: ev.object }) + '\n');
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', 'http://x');
      this.requests.push({
        method: req.method ?? '',
        url: req.url ?? '',
        contentType: req.headers['content-type'],
        authorization: req.headers.authorization,
        body: text ? JSON.parse(text) : undefined,
      });
      this.route(req.method ?? '', url, text, res);
    });
  }

  private route(method: string, url: URL, body: string, res: http.ServerResponse): void {
    const m = /^\/api\/v1\/(?:namespaces\/([^/]+)\/)?pods(?:\/([^/]+))?(?:\/([^/]+))?$/.exec(url.pathname);
    if (!m) return this.status(res, 404, 'NotFound', `the server could not find the requested resource`);
    const [, , name, sub] = m;
    if (method === 'GET' && !name && url.searchParams.get('watch')) return this.watch(url, res);
    if (method === 'GET' && !name) {
      return this.json(res, 200, {
        apiVersion: 'v1',
        kind: 'PodList',
        metadata: { resourceVersion: String(this.rv) },
        items: [...this.pods.values()],
      });
    }
    if (method === 'GET' && name) {
      const pod = this.pods.get(`default/${name}`);
      return pod ? this.json(res, 200, pod) : this.status(res, 404, 'NotFound', `pods "${name}" not found`, name);
    }
    if (method === 'POST' && !name) {
      const pod = JSON.parse(body) as Pod;
      const n = pod.metadata.name!;
      if (this.pods.has(`default/${n}`)) return this.status(res, 409, 'AlreadyExists', `pods "${n}" already exists`, n);
      return this.json(res, 201, this.put(n, pod.metadata.labels));
    }
    if (method === 'PUT' && name) {
      const pod = JSON.parse(body) as Pod;
      const cur = this.pods.get(`default/${name}`);
      if (cur && pod.metadata.resourceVersion !== cur.metadata.resourceVersion) {
        return this.status(
          res,
          409,
          'Conflict',
          `Operation cannot be fulfilled on pods "${name}": the object has been modified; please apply your changes to the latest version and try again`,
          name,
        );
      }
      return this.json(res, 200, this.put(name, pod.metadata.labels));
    }
    if (method === 'PATCH' && name) return this.json(res, 200, this.pods.get(`default/${name}`) ?? {});
    if (method === 'POST' && name && sub === 'binding')
      return this.json(res, 201, { kind: 'Status', apiVersion: 'v1', status: 'Success', code: 201 });
    if (method === 'DELETE' && name) {
      const pod = this.pods.get(`default/${name}`);
      if (!pod) return this.status(res, 404, 'NotFound', `pods "${name}" not found`, name);
      this.remove(name);
      return this.json(res, 200, pod);
    }
    this.status(res, 405, 'MethodNotAllowed', `${method} is not supported`);
  }

  private watch(url: URL, res: http.ServerResponse): void {
    const from = Number(url.searchParams.get('resourceVersion') || '0');
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    if (from && from < this.compacted) {
      // The apiserver answers 200 and then one ERROR event carrying a 410 Status.
      const st: Status = {
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Failure',
        code: 410,
        reason: 'Expired',
        message: `too old resource version: ${from} (${this.compacted})`,
      };
      res.end(JSON.stringify({ type: 'ERROR', object: st }) + '\n');
      return;
    }
    for (const ev of this.log) if (ev.rv > from) res.write(JSON.stringify({ type: ev.type, object: ev.object }) + '\n');
    const w = { after: from, res };
    this.watchers.add(w);
    res.on('close', () => this.watchers.delete(w));
  }

  private json(res: http.ServerResponse, code: number, obj: unknown): void {
    const text = JSON.stringify(obj);
    res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  }

  private status(res: http.ServerResponse, code: number, reason: string, message: string, name?: string): void {
    this.json(res, code, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message,
      reason,
      details: name ? { name, kind: 'pods' } : undefined,
      code,
    });
  }
}
