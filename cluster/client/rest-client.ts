// HTTP(S) transport to the apiserver: JSON requests over a keep-alive agent, bearer-token auth,
// typed errors from Status bodies, and streaming newline-delimited JSON for watches.
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import type { Status, WatchEvent } from '../../common/api-types.js';
import { ApiConnectionError, apiErrorFrom, statusToError, type ApiError } from './api-errors.js';

export interface RestConfig {
  /** `https://127.0.0.1:6443` or, in tests, `http://127.0.0.1:PORT`. */
  server: string;
  /** PEM of the CA that signed the serving certificate (https only). */
  ca?: string | Buffer;
  /** Bearer token sent as `Authorization: Bearer …`. */
  token?: string;
  /** Per-request timeout for non-watch calls (default 30 s). */
  timeoutMs?: number;
  userAgent?: string;
  /** Most sockets kept open to the server (default 64; watches each hold one). */
  maxSockets?: number;
}

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  contentType?: string;
}

export interface WatchHandlers<T> {
  onEvent(event: WatchEvent<T>): void;
  /** Called once when the stream ends: `err` undefined for a clean end (server timeout). */
  onClose(err?: Error): void;
}

/** Stops a watch (or any subscription); safe to call twice. */
export type Disposer = () => void;

const MAX_LINE = 16 * 1024 * 1024;

export class RestClient {
  private readonly base: URL;
  private readonly agent: http.Agent;
  private readonly mod: typeof http | typeof https;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;

  constructor(config: RestConfig) {
    this.base = new URL(config.server);
    if (this.base.protocol !== 'http:' && this.base.protocol !== 'https:') {
      throw new TypeError(`RestConfig.server: ${config.server} is not an http(s) URL`);
    }
    // Keep every socket of a burst for reuse: dropping them would cost a TLS handshake each.
    const maxSockets = config.maxSockets ?? 64;
    const agentOpts = { keepAlive: true, maxSockets, maxFreeSockets: maxSockets };
    if (this.base.protocol === 'https:') {
      this.mod = https;
      // One secure context for all connections, instead of parsing the CA again per socket. The CA
      // is in the context only, not among the agent's options: https.Agent names every request's
      // socket pool by its options and appends `ca` to that name, which turned the PEM into a
      // string and hashed a 1 KiB key on every request (tls.connect verifies with the context).
      const secureContext = tls.createSecureContext(config.ca ? { ca: config.ca } : {});
      this.agent = new https.Agent({ ...agentOpts, secureContext });
    } else {
      this.mod = http;
      this.agent = new http.Agent(agentOpts);
    }
    this.headers = { Accept: 'application/json', 'User-Agent': config.userAgent ?? 'kubewire' };
    if (config.token) this.headers.Authorization = `Bearer ${config.token}`;
    this.timeoutMs = config.timeoutMs ?? 30_000;
  }

  /** One JSON call; resolves with the parsed body, rejects with a typed ApiError. */
  request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const url = this.url(path, opts.query);
    const what = `${method} ${url.pathname}`;
    const payload = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
    const headers: Record<string, string | number> = { ...this.headers };
    if (payload) {
      headers['Content-Type'] = opts.contentType ?? 'application/json';
      headers['Content-Length'] = payload.length;
    }
    return new Promise<T>((resolve, reject) => {
      const req = this.mod.request(url, { method, agent: this.agent, headers, timeout: this.timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (e) => reject(new ApiConnectionError(what, { cause: e })));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const code = res.statusCode ?? 0;
          if (code < 200 || code > 299) return reject(apiErrorFrom(code, text, what));
          if (text === '') return resolve(undefined as T);
          try {
            resolve(JSON.parse(text) as T);
          } catch (e) {
            reject(new ApiConnectionError(`${what}: answer is not JSON`, { cause: e }));
          }
        });
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      req.on('error', (e) => reject(new ApiConnectionError(what, { cause: e })));
      req.end(payload);
    });
  }

  /**
   * Opens `GET path?watch=1` and calls onEvent per line. An ERROR event whose Status is 410 is
   * delivered as onClose(ExpiredError) so an informer relists; the returned disposer aborts it.
   */
  watch<T>(path: string, query: Query, handlers: WatchHandlers<T>): Disposer {
    const url = this.url(path, { ...query, watch: 1 });
    const what = `WATCH ${url.pathname}`;
    let closed = false;
    const close = (err?: Error) => {
      if (closed) return;
      closed = true;
      req.destroy();
      handlers.onClose(err);
    };
    const req = this.mod.request(url, { method: 'GET', agent: this.agent, headers: this.headers }, (res) => {
      const code = res.statusCode ?? 0;
      if (code < 200 || code > 299) {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => close(apiErrorFrom(code, Buffer.concat(chunks).toString('utf8'), what)));
        res.on('error', (e) => close(new ApiConnectionError(what, { cause: e })));
        return;
      }
      let pending = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (closed) return;
        pending += chunk;
        let nl: number;
        while (!closed && (nl = pending.indexOf('\n')) >= 0) {
          const line = pending.slice(0, nl).trim();
          pending = pending.slice(nl + 1);
          if (line) this.deliver(line, what, handlers, close);
        }
        if (pending.length > MAX_LINE)
          close(new ApiConnectionError(what, { cause: new Error('watch event over 16 MiB') }));
      });
      res.on('end', () => {
        if (!closed && pending.trim()) this.deliver(pending.trim(), what, handlers, close);
        close();
      });
      res.on('error', (e) => close(new ApiConnectionError(what, { cause: e })));
      res.on('aborted', () => close(new ApiConnectionError(what, { cause: new Error('stream aborted') })));
    });
    req.on('error', (e) => close(new ApiConnectionError(what, { cause: e })));
    req.end();
    return () => {
      if (closed) return;
      closed = true;
      req.destroy();
    };
  }

  /** Closes idle keep-alive sockets; open watches must be disposed by their owners. */
  close(): void {
    this.agent.destroy();
  }

  private deliver<T>(line: string, what: string, handlers: WatchHandlers<T>, close: (err?: Error) => void): void {
    let ev: WatchEvent<T>;
    try {
      ev = JSON.parse(line) as WatchEvent<T>;
    } catch (e) {
      return close(new ApiConnectionError(`${what}: malformed watch event`, { cause: e }));
    }
    if (ev.type === 'ERROR') {
      const err: ApiError = statusToError(ev.object as unknown as Status, what);
      return close(err);
    }
    handlers.onEvent(ev);
  }

  private url(path: string, query?: Query): URL {
    const url = new URL(path, this.base);
    for (const [k, v] of Object.entries(query ?? {})) {
      if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
    }
    return url;
  }
}
