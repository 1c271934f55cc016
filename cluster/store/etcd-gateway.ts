// A client of etcd's v3 API through its HTTP/JSON gateway (the grpc-gateway every etcd 3.4 member
// serves on its client URL: POST /v3/kv/range, /v3/kv/txn, /v3/kv/compaction, /v3/watch), with
// failover across the cluster's members. No npm client: etcd3 (npm) needs gRPC's native HTTP/2
// stack and cannot dial from inside a network namespace, and the lab's members listen only on
// node-network addresses inside lab namespaces — a member is reached by a socket created inside
// a namespace that sees it (the netns.node addon's setns on the calling thread), so nothing of the
// lab listens on, or is routed from, the host's namespace.
//
// Failover: a member that refuses or drops the connection, times out, or answers "no leader" /
// "leader changed" (gRPC Unavailable) is left for the next one, with a short backoff, until
// `retryForMs` has passed. A write whose answer was lost may have been applied: the backend
// (etcd-backend.ts) resolves that for its compare-and-swap writes.
import http from 'node:http';
import { createRequire } from 'node:module';
import { isIPv4, Socket } from 'node:net';
import { StoreError } from './backend.js';

export interface EtcdEndpoint {
  /** The member's client address and port (an IPv4 address). */
  host: string;
  port: number;
  /** Dial from inside this network namespace (/run/netns/<name>); absent: from this one. */
  netns?: string;
}

export interface EtcdGatewayOptions {
  endpoints: EtcdEndpoint[];
  /** The compiled netns.node addon; needed when an endpoint names a netns. */
  netnsAddon?: string;
  /** One HTTP call's bound (default 5 s). */
  requestTimeoutMs?: number;
  /** How long a call keeps trying members before it fails (default 30 s). */
  retryForMs?: number;
}

// etcd's JSON as the gateway writes it: int64 as strings, bytes as base64, zero values left out.
export interface KvJson {
  key?: string;
  create_revision?: string;
  mod_revision?: string;
  version?: string;
  value?: string;
  lease?: string;
}
export interface HeaderJson {
  revision?: string;
}
export interface RangeJson {
  header: HeaderJson;
  kvs?: KvJson[];
  more?: boolean;
  count?: string;
}
export interface TxnJson {
  header: HeaderJson;
  succeeded?: boolean;
  responses?: { response_range?: RangeJson; response_delete_range?: { prev_kvs?: KvJson[] } }[];
}
export interface WatchJson {
  result?: {
    header?: HeaderJson;
    created?: boolean;
    canceled?: boolean;
    cancel_reason?: string;
    compact_revision?: string;
    events?: { type?: 'PUT' | 'DELETE'; kv: KvJson; prev_kv?: KvJson }[];
  };
  error?: { message?: string };
}

/** etcd answered with an error that trying again elsewhere does not fix (gRPC code and message). */
export class EtcdApiError extends StoreError {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(`etcd: ${message} (gRPC code ${code})`);
  }
}

/** No member answered within retryForMs. */
export class EtcdUnavailableError extends StoreError {}

interface NetnsAddon {
  withNetns<T>(path: string, fn: () => T): T;
  tcpSocket(): number;
}

/** gRPC codes after which another member (or the same one, after an election) may succeed. */
const RETRYABLE_CODES = new Set([4 /* DeadlineExceeded */, 14 /* Unavailable */]);

export class EtcdGateway {
  private readonly agents: http.Agent[];
  private readonly requestTimeoutMs: number;
  private readonly retryForMs: number;
  private addon: NetnsAddon | undefined;
  /** The member that answered last: calls go there first. */
  private preferred = 0;
  private closed = false;

  constructor(private readonly opts: EtcdGatewayOptions) {
    if (opts.endpoints.length === 0) throw new StoreError('etcd: no endpoints');
    for (const e of opts.endpoints) {
      if (!isIPv4(e.host) || !Number.isInteger(e.port) || e.port < 1 || e.port > 65535)
        throw new StoreError(`etcd endpoint ${e.host}:${e.port}: an IPv4 address and a port 1-65535 are needed`);
      if (e.netns && !opts.netnsAddon)
        throw new StoreError(`etcd endpoint ${e.host}:${e.port} is in ${e.netns}: the netns addon path is needed`);
    }
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 5000;
    this.retryForMs = opts.retryForMs ?? 30_000;
    this.agents = opts.endpoints.map((e) => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
      (agent as unknown as { createConnection: () => Socket }).createConnection = () => this.dial(e);
      return agent;
    });
  }

  get endpoints(): readonly EtcdEndpoint[] {
    return this.opts.endpoints;
  }

  /** A TCP connection to the member, made from inside its namespace when it names one. */
  dial(e: EtcdEndpoint): Socket {
    if (!e.netns) {
      const s = new Socket();
      s.setNoDelay(true);
      return s.connect(e.port, e.host);
    }
    this.addon ??= createRequire(import.meta.url)(this.opts.netnsAddon!) as NetnsAddon;
    const addon = this.addon;
    const fd = addon.withNetns(e.netns, () => addon.tcpSocket());
    const s = new Socket({ fd, readable: true, writable: true });
    s.setNoDelay(true);
    return s.connect(e.port, e.host);
  }

  /** The member calls go to first (the one that answered last). */
  get preferredMember(): number {
    return this.preferred;
  }

  /**
   * POSTs `body` to `path` on a member, failing over to the others; resolves with the JSON answer.
   * `info.retried` tells whether an earlier attempt failed: a write it carried may have been applied.
   */
  async call<T>(path: string, body: unknown, info?: { retried?: boolean }): Promise<T> {
    const deadline = Date.now() + this.retryForMs;
    const payload = JSON.stringify(body);
    let delay = 50;
    let last: Error | undefined;
    for (let attempt = 0; ; attempt++) {
      if (this.closed) throw new StoreError('etcd: the client is closed');
      const i = (this.preferred + attempt) % this.agents.length;
      try {
        const r = await this.post<T>(i, path, payload);
        this.preferred = i;
        return r;
      } catch (err) {
        if (err instanceof EtcdApiError && !RETRYABLE_CODES.has(err.code)) throw err;
        last = err as Error;
        if (info) info.retried = true;
      }
      if (Date.now() >= deadline) break;
      // A full round of members failed: wait a little (an election takes about the election timeout).
      if ((attempt + 1) % this.agents.length === 0) {
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 1000);
      }
    }
    throw new EtcdUnavailableError(
      `etcd: no member of ${this.describe()} answered ${path} within ${this.retryForMs / 1000} s: ${last?.message}`,
      { cause: last },
    );
  }

  /**
   * A streaming call (watch): the response's body is a sequence of JSON objects, one per line.
   * Resolves with the response once a member accepted the request; `onObject` gets each object.
   */
  stream(
    endpoint: number,
    path: string,
    body: unknown,
    onObject: (o: WatchJson) => void,
    onEnd: (err?: Error) => void,
  ): { close(): void } {
    const e = this.opts.endpoints[endpoint]!;
    let ended = false;
    const end = (err?: Error) => {
      if (ended) return;
      ended = true;
      onEnd(err);
    };
    const req = http.request({
      method: 'POST',
      path,
      host: e.host,
      port: e.port,
      createConnection: () => this.dial(e),
      headers: { 'content-type': 'application/json', 'grpc-metadata-hasleader': 'true' },
    });
    req.on('response', (res) => {
      if (res.statusCode !== 200) {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => end(new StoreError(`etcd ${e.host}: ${path} answered ${res.statusCode}: ${text}`)));
        return;
      }
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        buf += d;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (!line) continue;
          try {
            onObject(JSON.parse(line) as WatchJson);
          } catch (err) {
            req.destroy();
            end(err as Error);
            return;
          }
        }
      });
      res.on('end', () => end(new StoreError(`etcd ${e.host}: the ${path} stream ended`)));
      res.on('error', (err) => end(err));
    });
    req.on('error', (err) => end(err));
    req.end(JSON.stringify(body));
    return {
      close: () => {
        ended = true;
        req.destroy();
      },
    };
  }

  close(): void {
    this.closed = true;
    for (const a of this.agents) a.destroy();
  }

  describe(): string {
    return this.opts.endpoints.map((e) => `${e.host}:${e.port}`).join(', ');
  }

  private post<T>(i: number, path: string, payload: string): Promise<T> {
    const e = this.opts.endpoints[i]!;
    return new Promise<T>((resolve, reject) => {
      const req = http.request(
        {
          method: 'POST',
          path,
          host: e.host,
          port: e.port,
          agent: this.agents[i],
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(payload),
            // gRPC metadata "hasleader": a member that knows of no leader answers Unavailable at
            // once (then another member is tried) instead of holding the call until it times out.
            'grpc-metadata-hasleader': 'true',
          },
          timeout: this.requestTimeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let json: { code?: number; error?: string; message?: string };
            try {
              json = JSON.parse(text);
            } catch {
              reject(
                new StoreError(
                  `etcd ${e.host}: ${path} answered ${res.statusCode} with no JSON: ${text.slice(0, 200)}`,
                ),
              );
              return;
            }
            if (res.statusCode === 200) resolve(json as T);
            else reject(new EtcdApiError(Number(json.code ?? -1), String(json.error ?? json.message ?? text)));
          });
        },
      );
      req.on('timeout', () =>
        req.destroy(new StoreError(`etcd ${e.host}: ${path} timed out after ${this.requestTimeoutMs} ms`)),
      );
      req.on('error', reject);
      req.end(payload);
    });
  }
}

/** Base64 of a key or value, as the gateway's JSON carries bytes. */
export const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');

/** etcd's prefix end on bytes: the prefix with its last byte below 0xff raised by one. */
export function bytesPrefixEnd(prefix: string): string {
  const b = Buffer.from(prefix);
  for (let i = b.length - 1; i >= 0; i--) {
    if (b[i]! < 0xff) {
      const end = Buffer.from(b.subarray(0, i + 1));
      end[i] = end[i]! + 1;
      return end.toString('base64');
    }
  }
  return Buffer.from([0]).toString('base64'); // "\0": every key (etcd's convention)
}
