// The kubelet's HTTPS server (port 10250 of its node): a serving certificate signed by the
// cluster CA, every request authenticated and authorized through the apiserver (delegated-auth.ts),
// and kubelet's endpoints: /healthz, /pods, /containerLogs, /exec, /attach, /portForward, /run,
// /stats/summary, /metrics/resource. It listens on <node address>:10250 with a socket made in the
// node's network namespace (node-port.ts), so TLS ends here and no relay copies the bytes.
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { existsSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Pod } from '../../../common/api-types.js';
import { describeError } from '../../../common/errors.js';
import { streamContainerLog, parseLogOptions, LogOptionsError } from './container-logs.js';
import { DelegatedAuth, nodeAttributes } from './delegated-auth.js';
import { parsePorts, PORT_FORWARD_WS_PROTOCOLS, servePortForwardWs } from './port-forward-ws.js';
import { REMOTE_COMMAND_PROTOCOLS, serveRemoteCommand, streamFlags } from './remote-command.js';
import type { StreamRuntime, StreamProcess, ExecOptions } from './stream-runtime.js';
import type { RuntimeService } from '../../../runtime/cri/cri-types.js';
import { criAttach, criExec } from './cri-stream-runtime.js';
import { serveSpdyUpgrade, SPDY_TUNNEL_PROTOCOL, isSpdyUpgrade } from './spdy-upgrade.js';
import type { NodeStats } from './node-stats.js';

/** What the server reads from its kubelet: the pods it runs and where their processes are. */
export interface PodDirectory {
  pods(): Pod[];
  /** A running container of a pod this kubelet runs. */
  container(namespace: string, pod: string, container: string): RunningContainer | undefined;
  sandboxPid(namespace: string, pod: string): number | undefined;
}

export interface RunningContainer {
  pid: number;
  /** The container's id in the node's CRI runtime: exec goes through its Exec when there is one. */
  containerId?: string;
  env: { name: string; value: string }[];
  hostname: string;
  /** The current log file and the one before the last restart. */
  logFile: string;
  previousLogFile: string;
  /** For attach: a container whose terminal the kubelet holds (ephemeral containers), if any. */
  attach?(o: { tty: boolean; stdin: boolean }): StreamProcess;
  alive(): boolean;
}

export interface KubeletServerDeps {
  nodeName: string;
  /** The listening socket's fd (bound in the node's namespace). */
  listen: () => number;
  tls: { cert: Buffer; key: Buffer; ca: Buffer };
  auth: DelegatedAuth;
  pods: PodDirectory;
  runtime: StreamRuntime;
  /** The node's CRI runtime (pods run as crun containers inside the node container). */
  cri?: RuntimeService;
  stats: NodeStats;
  log(line: string): void;
}

class HttpError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export class KubeletServer {
  private server: Server | undefined;
  private readonly wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    handleProtocols: (offered) => this.pickProtocol(offered),
  });
  private currentProtocols: string[] = [];

  constructor(private readonly d: KubeletServerDeps) {}

  async start(): Promise<() => Promise<void>> {
    const server = createServer(
      {
        cert: this.d.tls.cert,
        key: this.d.tls.key,
        ca: this.d.tls.ca,
        requestCert: true,
        rejectUnauthorized: false,
        noDelay: true,
      },
      (req, res) => {
        void this.handle(req, res).catch((err) => this.fail(res, err));
      },
    );
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      socket.on('error', () => socket.destroy());
      void this.upgrade(req, socket, head).catch((err) => {
        const code = err instanceof HttpError ? err.code : 500;
        socket.end(
          `HTTP/1.1 ${code} ${code === 401 ? 'Unauthorized' : code === 403 ? 'Forbidden' : 'Error'}\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n${(err as Error).message}\n`,
        );
      });
    });
    server.requestTimeout = 0;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ fd: this.d.listen() }, () => resolve());
    });
    this.server = server;
    return async () => {
      this.wss.clients.forEach((c) => c.terminate());
      await new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
    };
  }

  private pickProtocol(offered: Set<string>): string | false {
    for (const p of this.currentProtocols) if (offered.has(p)) return p;
    return false;
  }

  private async admit(req: IncomingMessage, path: string): Promise<void> {
    const caller = await this.d.auth.authenticate(req);
    if (!caller) throw new HttpError(401, 'Unauthorized');
    const attrs = nodeAttributes(req.method ?? 'GET', path);
    if (!(await this.d.auth.authorize(caller, attrs))) {
      throw new HttpError(
        403,
        `Forbidden (user=${caller.name}, verb=${attrs.verb}, resource=nodes, subresource=${attrs.subresource})`,
      );
    }
  }

  private fail(res: ServerResponse, err: unknown): void {
    const code = err instanceof HttpError ? err.code : err instanceof LogOptionsError ? 400 : 500;
    if (code === 500) this.d.log(`kubelet ${this.d.nodeName}: server: ${describeError(err)}`);
    if (res.headersSent) return void res.destroy();
    res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(`${(err as Error).message}\n`);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://kubelet');
    const path = url.pathname;
    await this.admit(req, path);
    const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
    const json = (body: unknown) => {
      const text = JSON.stringify(body);
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
      res.end(text);
    };
    if (path === '/healthz') {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      return void res.end('ok');
    }
    if (path === '/pods' || path === '/pods/')
      return json({ kind: 'PodList', apiVersion: 'v1', metadata: {}, items: this.d.pods.pods() });
    if (path === '/stats/summary') return json(await this.d.stats.summary());
    if (path === '/metrics/resource') {
      const text = await this.d.stats.resourceMetrics();
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
      return void res.end(text);
    }
    if (parts[0] === 'containerLogs' && parts.length === 4 && req.method === 'GET')
      return this.serveLogs(req, res, url, parts[1]!, parts[2]!, parts[3]!);
    if (parts[0] === 'run' && (parts.length === 4 || parts.length === 5) && req.method === 'POST')
      return this.serveRun(req, res, url, parts);
    if (['exec', 'attach', 'portForward'].includes(parts[0] ?? ''))
      throw new HttpError(400, 'Upgrade request required');
    throw new HttpError(404, '404 page not found');
  }

  private async serveLogs(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    ns: string,
    pod: string,
    container: string,
  ): Promise<void> {
    const c = this.d.pods.container(ns, pod, container);
    const o = parseLogOptions(url.searchParams, Date.now());
    const known = this.d.pods.pods().some((p) => p.metadata.namespace === ns && p.metadata.name === pod);
    if (!known) throw new HttpError(404, `pod ${ns}/${pod} not found`);
    if (!c) throw new HttpError(400, `container "${container}" in pod "${pod}" is not running`);
    const file = o.previous ? c.previousLogFile : c.logFile;
    const ac = new AbortController();
    res.on('close', () => ac.abort());
    if (!existsSync(file))
      throw new HttpError(
        400,
        o.previous
          ? `previous terminated container "${container}" in pod "${pod}" not found`
          : `log of container "${container}" not found`,
      );
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    // Following a previous run's file makes no sense; following stops when the container stops.
    await streamContainerLog(
      file,
      { ...o, follow: o.follow && !o.previous },
      (b) => res.write(b),
      ac.signal,
      () => !c.alive(),
    );
    res.end();
  }

  /** /run/{ns}/{pod}[/{uid}]/{container}?cmd=…: exec without streaming, output in the answer. */
  private async serveRun(_req: IncomingMessage, res: ServerResponse, url: URL, parts: string[]): Promise<void> {
    const [ns, pod] = [parts[1]!, parts[2]!];
    const container = parts[parts.length - 1]!;
    const c = this.d.pods.container(ns, pod, container);
    if (!c) throw new HttpError(404, `container ${container} of pod ${ns}/${pod} is not running`);
    const cmd = (url.searchParams.get('cmd') ?? '').split(' ').filter(Boolean);
    if (!cmd.length) throw new HttpError(400, 'cmd is required');
    const p = this.exec(c, cmd, { tty: false, stdin: false });
    const chunks: Buffer[] = [];
    p.stdout.on('data', (b: Buffer) => chunks.push(b));
    p.stderr?.on('data', (b: Buffer) => chunks.push(b));
    await p.exited;
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end(Buffer.concat(chunks));
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://kubelet');
    await this.admit(req, url.pathname);
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const kind = parts[0];
    if (kind === 'portForward' && parts.length >= 3) {
      const sandbox = this.d.pods.sandboxPid(parts[1]!, parts[2]!);
      if (!sandbox) throw new HttpError(404, `pod ${parts[1]}/${parts[2]} is not running on this node`);
      const dial = (port: number) => this.d.runtime.portForward(sandbox, port);
      if (isSpdyUpgrade(req)) return serveSpdyUpgrade(req, socket, { kind: 'portforward', dial, log: this.d.log });
      const offered = String(req.headers['sec-websocket-protocol'] ?? '')
        .split(',')
        .map((s) => s.trim());
      if (offered.includes(SPDY_TUNNEL_PROTOCOL)) {
        this.currentProtocols = [SPDY_TUNNEL_PROTOCOL];
        const ws = await this.accept(req, socket, head);
        return serveSpdyUpgrade(req, socket, { kind: 'portforward', dial, log: this.d.log, tunnel: ws });
      }
      this.currentProtocols = PORT_FORWARD_WS_PROTOCOLS;
      const ports = parsePorts(url.searchParams);
      const ws = await this.accept(req, socket, head);
      return servePortForwardWs(ws, ports, dial);
    }
    if ((kind === 'exec' || kind === 'attach') && (parts.length === 4 || parts.length === 5)) {
      const [ns, pod] = [parts[1]!, parts[2]!];
      const name = parts[parts.length - 1]!;
      const c = this.d.pods.container(ns, pod, name);
      if (!c) throw new HttpError(404, `container ${name} of pod ${ns}/${pod} is not running on this node`);
      const f = streamFlags(url.searchParams);
      const start = (size?: { cols: number; rows: number }): StreamProcess => {
        if (kind === 'exec') {
          const cmd = url.searchParams.getAll('command');
          if (!cmd.length) throw new HttpError(400, 'you must specify at least 1 command');
          return this.exec(c, cmd, { tty: f.tty, stdin: f.stdin, ...(size ?? {}) });
        }
        if (c.attach) return c.attach({ tty: f.tty, stdin: f.stdin });
        // A container of the node's CRI runtime: its output and its stdin FIFO (stdin: true).
        if (c.containerId && this.d.cri) return criAttach(this.d.cri, c.containerId, f.stdin, size);
        return followLog(c);
      };
      if (isSpdyUpgrade(req)) return serveSpdyUpgrade(req, socket, { kind: 'exec', start, flags: f, log: this.d.log });
      this.currentProtocols = REMOTE_COMMAND_PROTOCOLS;
      const ws = await this.accept(req, socket, head);
      return serveRemoteCommand(ws, start, f);
    }
    throw new HttpError(404, '404 page not found');
  }

  /** A process in the container: through the CRI runtime when the container is one of its own. */
  private exec(c: RunningContainer, cmd: string[], o: ExecOptions): StreamProcess {
    return c.containerId && this.d.cri ? criExec(this.d.cri, c.containerId, cmd, o) : this.d.runtime.exec(c, cmd, o);
  }

  private accept(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<WebSocket> {
    return new Promise((resolve, reject) => {
      if (!req.headers['sec-websocket-key']) return reject(new HttpError(400, 'Upgrade request required'));
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        if (!ws.protocol) {
          ws.close(1002, 'no supported protocol');
          return reject(new HttpError(400, 'no supported protocol'));
        }
        resolve(ws);
      });
    });
  }
}

/** Attach to a container whose output goes to its log file: what it writes from now on. */
function followLog(c: RunningContainer): StreamProcess {
  const ac = new AbortController();
  const stdout = new PassThrough();
  const exited = streamContainerLog(
    c.logFile,
    { follow: true, previous: false, timestamps: false, tailLines: 0 },
    (b) => stdout.write(b),
    ac.signal,
    () => !c.alive(),
  )
    .catch(() => undefined)
    .then(() => {
      stdout.end();
      return 0;
    });
  return { stdout, resize: () => undefined, kill: () => ac.abort(), exited };
}
