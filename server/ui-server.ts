// The kubewire UI server: the renderer's files, the JSON calls of common/ui-contract.ts under
// /api/call/<name>, and one WebSocket (/ws) for terminal I/O and topology pushes. Loopback only;
// every request passes RequestGuard (token, Host, Origin) first.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { describeError, KubewireError, ValidationError } from '../common/errors.js';
import {
  HTTP_STATUS,
  MAX_FRAME_BYTES,
  errorResult,
  isCallName,
  parseClientMessage,
  requestValidators,
  TOKEN_HEADER,
  type ErrorData,
  type Result,
  type ServerMessage,
  type SessionInfo,
} from '../common/ui-contract.js';
import type { UiHandlers } from './api-handlers.js';
import { RequestGuard, type GuardInput } from './request-guard.js';
import type { TerminalHost } from './terminals/terminal-host.js';
import { TerminalLimit, TerminalNotFound } from './terminals/pty-terminal-host.js';
import type { TerminalAttachments } from './terminals/terminal-attachments.js';
import type { TopologySource } from './topology/kernel-topology.js';
import { ClusterUnavailable, NoCluster, type ClusterSource } from './cluster/cluster-source.js';
import { GuideUnavailable, LabNotFound } from './guide/guide-service.js';

export interface UiServerDeps {
  handlers: UiHandlers;
  terminals: TerminalHost;
  /** Closes shells no socket shows any more (after a grace period); absent: shells live until closed. */
  attachments?: TerminalAttachments;
  topology: TopologySource;
  /** The cluster tables' source; absent: the view says no apiserver is configured. */
  cluster?: ClusterSource;
  session: SessionInfo;
  staticDir: string;
  /** 0: any free port. */
  port: number;
  /** 64 hex characters; a random one when absent. */
  token?: string;
  log: (line: string) => void;
  /** Files offered for download under /api/ (pcap captures): the path on disk and a safe name. */
  download?: (pathname: string) => { file: string; name: string } | undefined;
}

export interface RunningUiServer {
  port: number;
  token: string;
  /** The first URL to open: carries the token once, the page then holds it in a cookie. */
  url: string;
  /** Resolves when a page has traded the URL token for its cookie (the open file may go). */
  sessionStarted: Promise<void>;
  dispose(): Promise<void>;
}

const HOST = '127.0.0.1';
const SESSION_PAGE =
  '<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=/"><title>kubewire</title><a href="/">Open kubewire</a>\n';
const MAX_BODY = 64 * 1024;
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};

export class UiServer {
  private sessionStartedHook: () => void = () => {};

  constructor(private readonly d: UiServerDeps) {}

  async start(): Promise<RunningUiServer> {
    const token = this.d.token ?? randomBytes(32).toString('hex');
    const http = createServer();
    const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
    wss.on('error', (err) => this.d.log(`ui server: websocket server: ${describeError(err)}`));
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(this.d.port, HOST, () => resolve());
    });
    const port = (http.address() as { port: number }).port;
    const guard = new RequestGuard(token, port);
    let started!: () => void;
    const sessionStarted = new Promise<void>((r) => (started = r));
    this.sessionStartedHook = () => started();
    const disposers: (() => void)[] = [];

    http.on('request', (req, res) => {
      // Node's default 'error' handling of a request's socket is kept; a thrown handler is caught here.
      this.onRequest(guard, req, res).catch((err: unknown) => {
        this.d.log(`ui server: ${req.method} ${req.url}: ${describeError(err)}`);
        if (!res.headersSent) sendJson(res, 500, errorResult('internal', describeError(err)));
        else res.destroy();
      });
    });
    http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      // After 'upgrade' the HTTP server no longer listens for this socket's errors: an unhandled
      // ECONNRESET here would end the whole process.
      socket.on('error', (err) => this.d.log(`ui server: upgrade socket: ${describeError(err)}`));
      try {
        this.onUpgrade(guard, wss, req, socket, head, disposers);
      } catch (err) {
        this.d.log(`ui server: upgrade ${req.url}: ${describeError(err)}`);
        socket.destroy();
      }
    });

    return {
      port,
      token,
      url: `http://${HOST}:${port}/?token=${token}`,
      sessionStarted,
      dispose: async () => {
        for (const d of disposers.splice(0)) d();
        for (const c of wss.clients) c.terminate();
        wss.close();
        http.closeAllConnections();
        await new Promise<void>((r) => http.close(() => r()));
      },
    };
  }

  private onUpgrade(
    guard: RequestGuard,
    wss: WebSocketServer,
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    disposers: (() => void)[],
  ): void {
    const url = requestUrl(req);
    const decision = url
      ? guard.check(guardInput(req, url), { allowQueryToken: false, upgrade: true })
      : ({ allow: false, status: 400, reason: 'bad request target' } as const);
    if (url?.pathname !== '/ws' || !decision.allow) {
      const status = decision.allow ? 404 : decision.status;
      this.d.log(
        `ui server: refused WebSocket ${url?.pathname ?? '?'}: ${decision.allow ? 'not found' : decision.reason}`,
      );
      socket.end(`HTTP/1.1 ${status} ${STATUS_TEXT[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => disposers.push(this.onSocket(ws)));
  }

  private async onRequest(guard: RequestGuard, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = requestUrl(req);
    if (!url) return sendJson(res, 400, errorResult('bad-request', 'bad request target'));
    const isPage = req.method === 'GET' && (url.pathname === '/' || url.pathname === '/index.html');
    const decision = guard.check(guardInput(req, url), { allowQueryToken: isPage, upgrade: false });
    if (!decision.allow) {
      this.d.log(`ui server: refused ${req.method} ${url.pathname}: ${decision.reason}`);
      return sendJson(
        res,
        decision.status,
        errorResult(decision.status === 401 ? 'unauthorized' : 'forbidden', decision.reason),
      );
    }
    if (decision.via === 'query') {
      // Trade the URL token for a cookie and drop it from the address bar. A 200 page that reloads
      // itself, not a redirect: a redirect chain that began cross-site (the desktop's file://
      // opener) would not carry the SameSite=Strict cookie; this page's own navigation does.
      res.writeHead(200, {
        ...securityHeaders(port(guard)),
        'Set-Cookie': guard.sessionCookie(),
        'Content-Type': 'text/html; charset=utf-8',
        'Content-Length': Buffer.byteLength(SESSION_PAGE),
      });
      res.end(SESSION_PAGE);
      return this.sessionStartedHook();
    }
    if (url.pathname.startsWith('/api/call/')) return this.onCall(req, res, url.pathname.slice('/api/call/'.length));
    if (url.pathname.startsWith('/api/pcap/') && req.method === 'GET') return this.serveDownload(res, url.pathname);
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return sendJson(res, 405, errorResult('bad-request', `${req.method} not allowed here`));
    return this.serveStatic(res, isPage ? '/index.html' : url.pathname, port(guard));
  }

  private async onCall(req: IncomingMessage, res: ServerResponse, name: string): Promise<void> {
    if (req.method !== 'POST') return sendJson(res, 405, errorResult('bad-request', 'calls are POST'));
    // A JSON content type cannot be sent cross-site without a CORS preflight, which we never grant.
    if (!(req.headers['content-type'] ?? '').startsWith('application/json')) {
      return sendJson(res, 415, errorResult('bad-request', 'calls need Content-Type: application/json'));
    }
    if (!isCallName(name)) return sendJson(res, 404, errorResult('not-found', `no call named '${name.slice(0, 60)}'`));
    let body: unknown;
    try {
      const text = await readBody(req, MAX_BODY);
      if (text === undefined)
        return sendJson(res, 413, errorResult('bad-request', `${name}: body larger than ${MAX_BODY} bytes`), {
          close: true,
        });
      body = text.length ? JSON.parse(text) : {};
    } catch (err) {
      return sendJson(res, 400, errorResult('bad-request', `${name}: body is not JSON: ${describeError(err)}`));
    }
    const result = await this.call(name, body);
    sendJson(res, result.ok ? 200 : HTTP_STATUS[result.error.code], result);
  }

  /** Validates the request against the contract, runs the handler, turns errors into data. */
  async call(name: string, body: unknown): Promise<Result<unknown>> {
    if (!isCallName(name)) return errorResult('not-found', `no call named '${name}'`);
    try {
      const request = (requestValidators[name] as (v: unknown, w: string) => unknown)(body, name);
      const handler = this.d.handlers[name] as (r: unknown) => Promise<unknown>;
      return { ok: true, result: await handler(request) };
    } catch (err) {
      const error = toErrorData(err);
      if (error.code === 'internal') this.d.log(`ui server: ${name}: ${describeError(err)}`);
      return { ok: false, error };
    }
  }

  private async serveStatic(res: ServerResponse, pathname: string, p: number): Promise<void> {
    let decoded: string;
    try {
      decoded = decodeURIComponent(pathname);
    } catch {
      return sendJson(res, 400, errorResult('bad-request', 'bad percent-encoding in the path'));
    }
    const rel = normalize(decoded).replace(/^([/\\])+/, '');
    const file = join(this.d.staticDir, rel);
    if (!file.startsWith(this.d.staticDir + sep) || rel.split(/[/\\]/).some((s) => s.startsWith('.'))) {
      return sendJson(res, 404, errorResult('not-found', 'no such file'));
    }
    let body: Buffer;
    try {
      body = await readFile(file);
    } catch {
      return sendJson(res, 404, errorResult('not-found', `no such file: ${rel}`));
    }
    res.writeHead(200, {
      ...securityHeaders(p),
      'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
      'Content-Length': body.length,
    });
    res.end(body);
  }

  private async serveDownload(res: ServerResponse, pathname: string): Promise<void> {
    const found = this.d.download?.(pathname);
    const body = found ? await readFile(found.file).catch(() => undefined) : undefined;
    if (!found || !body) return sendJson(res, 404, errorResult('not-found', 'no such capture file'));
    res.writeHead(200, {
      'Content-Type': 'application/vnd.tcpdump.pcap',
      'Content-Length': body.length,
      'Content-Disposition': `attachment; filename="${found.name}"`,
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
    });
    res.end(body);
  }

  private onSocket(ws: WebSocket): () => void {
    const attached = new Set<string>();
    let topologyOff: (() => void) | undefined;
    let clusterOff: (() => void) | undefined;
    const send = (m: ServerMessage): void => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(m));
    };
    const off = this.d.terminals.onEvent((e) => {
      if (e.type === 'changed') send({ type: 'terminals', terminals: this.d.terminals.list() });
      else if (attached.has(e.id))
        send(
          e.type === 'output'
            ? { type: 'terminal.output', id: e.id, data: e.data }
            : { type: 'terminal.exit', id: e.id, exitCode: e.exitCode },
        );
    });
    // A frame over MAX_FRAME_BYTES (or any protocol error) arrives here; ws has already closed
    // this socket (1009 for size). Without a listener the 'error' event would end the process.
    ws.on('error', (err) => this.d.log(`ui server: websocket: ${describeError(err)}`));
    send({ type: 'hello', session: this.d.session });
    send({ type: 'terminals', terminals: this.d.terminals.list() });

    ws.on('message', (raw, isBinary) => {
      try {
        if (isBinary) throw new ValidationError('websocket message', 'binary frames are not part of the contract');
        const m = parseClientMessage(JSON.parse(String(raw)));
        switch (m.type) {
          case 'terminal.attach': {
            const info = this.d.terminals.get(m.id);
            if (!info) throw new TerminalNotFound(m.id);
            attached.add(m.id);
            this.d.attachments?.attach(ws, m.id);
            send({ type: 'terminal.scrollback', id: m.id, data: this.d.terminals.scrollback(m.id) });
            if (info.exitCode !== null) send({ type: 'terminal.exit', id: m.id, exitCode: info.exitCode });
            break;
          }
          case 'terminal.detach':
            attached.delete(m.id);
            this.d.attachments?.detach(ws, m.id);
            break;
          case 'terminal.input':
            this.d.terminals.write(m.id, m.data);
            break;
          case 'terminal.resize':
            this.d.terminals.resize(m.id, m.cols, m.rows);
            break;
          case 'topology.subscribe':
            topologyOff ??= this.d.topology.subscribe((u) =>
              send({ type: 'topology', graph: u.graph, readMs: u.readMs }),
            );
            break;
          case 'topology.unsubscribe':
            topologyOff?.();
            topologyOff = undefined;
            break;
          case 'cluster.subscribe':
            clusterOff ??= (this.d.cluster ?? new NoCluster('no apiserver configured for this UI server')).subscribe(
              (snapshot) => send({ type: 'cluster', snapshot }),
            );
            break;
          case 'cluster.unsubscribe':
            clusterOff?.();
            clusterOff = undefined;
            break;
          case 'ping':
            send({ type: 'pong', t: m.t });
            break;
        }
      } catch (err) {
        send({ type: 'error', error: toErrorData(err) });
      }
    });
    const dispose = (): void => {
      off();
      this.d.attachments?.dropSocket(ws);
      topologyOff?.();
      topologyOff = undefined;
      clusterOff?.();
      clusterOff = undefined;
    };
    ws.on('close', dispose);
    return dispose;
  }
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
};

/** The request target as a URL, or undefined where it does not parse (a raw `GET http://[ …`). */
function requestUrl(req: IncomingMessage): URL | undefined {
  try {
    return new URL(req.url ?? '/', 'http://x');
  } catch {
    return undefined;
  }
}

function port(guard: RequestGuard): number {
  return guard.port;
}

function guardInput(req: IncomingMessage, url: URL): GuardInput {
  const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);
  return {
    host: req.headers.host,
    origin: one(req.headers.origin),
    secFetchSite: one(req.headers['sec-fetch-site']),
    cookie: req.headers.cookie,
    tokenHeader: one(req.headers[TOKEN_HEADER]),
    queryToken: url.searchParams.get('token'),
  };
}

export function toErrorData(err: unknown): ErrorData {
  if (err instanceof ValidationError || err instanceof SyntaxError)
    return { code: 'bad-request', message: describeError(err) };
  if (err instanceof TerminalNotFound) return { code: 'not-found', message: err.message };
  if (err instanceof TerminalLimit) return { code: 'conflict', message: err.message };
  if (err instanceof ClusterUnavailable || err instanceof GuideUnavailable)
    return { code: 'unavailable', message: err.message };
  if (err instanceof LabNotFound) return { code: 'not-found', message: err.message };
  if (err instanceof KubewireError) return { code: 'internal', message: describeError(err) };
  return { code: 'internal', message: describeError(err) };
}

function securityHeaders(p: number): Record<string, string> {
  return {
    'Content-Security-Policy': [
      "default-src 'self'",
      "script-src 'self'",
      // xterm.js and cytoscape set inline styles; no inline script is ever allowed.
      "style-src 'self' 'unsafe-inline'",
      "img-src 'self' data: blob:",
      `connect-src 'self' ws://127.0.0.1:${p} ws://localhost:${p}`,
      "frame-ancestors 'none'",
      "base-uri 'none'",
      "form-action 'none'",
    ].join('; '),
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown, o: { close?: boolean } = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    ...(o.close ? { Connection: 'close' } : {}),
  });
  res.end(text);
}

/**
 * The body as text, or undefined when it is over `max` bytes: then the rest is read and dropped
 * (up to 16× max) so the client, still sending, gets the 413 instead of a reset.
 */
function readBody(req: IncomingMessage, max: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    const chunks: Buffer[] = [];
    let size = 0;
    let over = declared > max;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) over = true;
      if (size > 16 * max) {
        req.destroy();
        resolve(undefined);
        return;
      }
      if (!over) chunks.push(c);
    });
    req.on('end', () => resolve(over ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
