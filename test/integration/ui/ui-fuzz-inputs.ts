// The inputs of ui-fuzz.test.ts, and how they reach the server: one sample request per call of
// the UI contract (mutated by the fuzz), the client frames, static paths, content types and
// methods it picks from, the generators of fuzzed calls (credentials, Host, Origin, bodies) and
// frames, a sender of one call, and a WebSocket that collects the server's internal errors. The
// generators draw from the seeded Rng in a fixed order: a seed reproduces the same inputs.
import { Agent, request } from 'node:http';
import WebSocket from 'ws';
import type { ServerMessage } from '../../../common/ui-contract.js';
import { CALL_NAMES } from '../../../common/ui-contract.js';
import { junkValue, mutate, nested, oddString, type Rng } from '../../helpers/fuzz.js';

/** The server under fuzz: its port and token (known once it started), its lab prefix. */
export interface UiTarget {
  port: number;
  token: string;
  readonly prefix: string;
  /** callSamples(prefix) */
  readonly samples: Record<string, Record<string, unknown>>;
  /** Keep-alive, two sockets at most. */
  readonly agent: Agent;
}

export function uiTarget(prefix: string): UiTarget {
  return {
    port: 0,
    token: '',
    prefix,
    samples: callSamples(prefix),
    agent: new Agent({ keepAlive: true, maxSockets: 2 }),
  };
}

/** One sample request per call: the fuzz mutates these. A call added to the contract needs one here. */
export function callSamples(prefix: string): Record<string, Record<string, unknown>> {
  return {
    'path.trace': { source: `${prefix}node1`, destination: '10.0.0.1:80', probe: false },
    'path.capture': { source: `${prefix}node1`, destination: '10.0.0.1', packets: 1, seconds: 1 },
    'iptables.get': { namespace: `${prefix}node1`, tables: ['nat'] },
    'iptables.render': { namespace: `${prefix}node1`, format: 'article' },
    'cluster.get': { kind: 'pods', namespace: 'default', name: 'kubia' },
    'guide.list': {},
    'guide.show': { id: 'veth-by-hand' },
    'guide.start': { id: 'veth-by-hand' },
    'guide.check': { id: 'veth-by-hand', step: 1 },
    'guide.solve': { id: 'veth-by-hand', step: 1 },
    'guide.replay': { id: 'veth-by-hand' },
    'guide.record.start': { id: 'veth-by-hand' },
    'guide.record.stop': {},
    'guide.record.save': { id: 'my-lab', title: 'Mine' },
    'learner.get': {},
    'guide.activity': {},
    'learner.prefs': { selectedLab: 'veth-by-hand', theme: 'dark', guidePercent: 40 },
    'learner.progress': { lab: 'veth-by-hand', progress: { done: [1], current: 2, hints: [] } },
    'layout.save': { key: 'veth-by-hand', positions: { node1: { x: 1, y: 2 } } },
    'session.info': {},
    'namespaces.list': {},
    'terminal.list': {},
    'topology.get': {},
    'terminal.open': { namespace: `${prefix}node1`, cols: 80, rows: 24 },
    'terminal.exec': { namespace: 'default', pod: 'kubia', cols: 80, rows: 24 },
    'node.kubelet': { node: 'node1', action: 'stop' },
    'terminal.close': { id: '0123456789abcdef' },
    'device.details': { namespace: `${prefix}node1`, ifname: 'eth0' },
  };
}

export const FRAMES: Record<string, unknown>[] = [
  { type: 'terminal.attach', id: '0123456789abcdef' },
  { type: 'terminal.detach', id: '0123456789abcdef' },
  { type: 'terminal.input', id: '0123456789abcdef', data: 'ls\r' },
  { type: 'terminal.resize', id: '0123456789abcdef', cols: 80, rows: 24 },
  { type: 'topology.subscribe' },
  { type: 'topology.unsubscribe' },
  { type: 'cluster.subscribe' },
  { type: 'cluster.unsubscribe' },
  { type: 'ping', t: 1 },
];
export const STATIC_PATHS = [
  '/',
  '/index.html',
  '/app.js',
  '/nope.css',
  '/../../etc/passwd',
  '/%2e%2e/%2e%2e/etc/passwd',
  '/%zz',
  '/%E0%A4',
  '/.git/config',
  '/a/../../b',
  '/api/pcap/0123456789abcdef/x.pcap',
  '/api/pcap/%00',
  '/api/call/',
  '/api/call',
  '/ws',
  '//x',
  '/?token=' + 'f'.repeat(64),
];
export const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  '',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/jsonx',
];
export const METHODS = ['POST', 'POST', 'POST', 'POST', 'GET', 'PUT', 'DELETE', 'OPTIONS', 'HEAD', 'PATCH'];

export interface HttpCase {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

function auth(r: Rng, t: UiTarget, headers: Record<string, string>): void {
  const { port, token } = t;
  const host = r.chance(0.9)
    ? `127.0.0.1:${port}`
    : r.pick(['localhost', `localhost:${port}`, 'evil.example', '', `127.0.0.1:${port + 1}`, '[::1]']);
  headers.Host = host;
  switch (r.int(20)) {
    case 0:
      break; // no credentials
    case 1:
      headers['x-kubewire-token'] = r.chance(0.5)
        ? 'f'.repeat(64)
        : oddString(r)
            .replace(/[^\x21-\x7e]/g, 'x')
            .slice(0, 200);
      break;
    case 2:
      headers.Cookie = `kubewire_session_${port}=${
        r.chance(0.5)
          ? token
          : oddString(r)
              .replace(/[^\x21-\x7e]/g, 'x')
              .slice(0, 200)
      }`;
      break;
    default:
      headers['x-kubewire-token'] = token;
  }
  if (r.chance(0.2))
    headers.Origin = r.pick([`http://127.0.0.1:${port}`, 'http://evil.example', 'null', 'file://', '']);
  if (r.chance(0.05)) headers['Sec-Fetch-Site'] = r.pick(['same-origin', 'cross-site', 'none', 'x']);
}

function callBody(r: Rng, sample: Record<string, unknown>): Buffer | undefined {
  switch (r.int(12)) {
    case 0:
      return undefined;
    case 1:
      return Buffer.from(JSON.stringify(sample).slice(0, r.int(JSON.stringify(sample).length)));
    case 2:
      return Buffer.from(`{"a":${nested(r.pick([100, 1000, 5000, 20_000]))}}`);
    case 3:
      return Buffer.from(Array.from({ length: r.int(200) }, () => r.int(256)));
    case 4:
      return Buffer.from(JSON.stringify(junkValue(r)));
    case 5:
      return Buffer.from(JSON.stringify({ ...sample, pad: 'x'.repeat(r.pick([65_000, 70_000, 300_000])) }));
    case 6:
      return Buffer.from(JSON.stringify(sample));
    default: {
      let o: unknown = sample;
      for (let i = 0, n = 1 + r.int(3); i < n; i++) o = mutate(r, o);
      return Buffer.from(JSON.stringify(o) ?? 'undefined');
    }
  }
}

/** One fuzzed call: method, path, credentials and headers, body (each drawn from `r`). */
export function httpCase(r: Rng, t: UiTarget): HttpCase {
  const headers: Record<string, string> = {};
  auth(r, t, headers);
  const ct = r.chance(0.85) ? 'application/json' : r.pick(CONTENT_TYPES);
  if (ct) headers['Content-Type'] = ct;
  const method = r.chance(0.8) ? 'POST' : r.pick(METHODS);
  const name = r.chance(0.85) ? r.pick(CALL_NAMES) : encodeURIComponent(oddString(r)).slice(0, 300);
  const path = r.chance(0.85) ? `/api/call/${name}` : r.pick(STATIC_PATHS);
  const sample = t.samples[name] ?? {};
  return { method, path, headers, body: method === 'GET' || method === 'HEAD' ? undefined : callBody(r, sample) };
}

/**
 * Sends `c` to the server on a keep-alive socket: its status and the first 300 characters of its
 * answer; 0 when no answer came within 15 s, -1 when the connection failed (its message).
 */
export function send(t: UiTarget, c: HttpCase): Promise<{ status: number; text: string }> {
  const { port, agent } = t;
  return new Promise((resolve) => {
    const headers = { ...c.headers, ...(c.body ? { 'Content-Length': String(c.body.length) } : {}) };
    const req = request(
      { host: '127.0.0.1', port, method: c.method, path: c.path, headers, agent, setHost: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8').slice(0, 300) }),
        );
        res.on('error', () => resolve({ status: res.statusCode ?? 0, text: '' }));
      },
    );
    req.setTimeout(15_000, () => {
      req.destroy();
      resolve({ status: 0, text: 'no answer within 15 s' });
    });
    // A reset after a 413 with Connection: close is an answer too (the status arrived first).
    req.on('error', (err) => resolve({ status: -1, text: err.message }));
    if (c.body) req.write(c.body);
    req.end();
  });
}

/** A WebSocket to the server that collects its internal errors and answers pings. */
export class FuzzSocket {
  readonly errors: string[] = [];
  private pongs = new Map<number, () => void>();
  closed = false;
  constructor(readonly ws: WebSocket) {
    ws.on('message', (raw) => {
      let m: ServerMessage;
      try {
        m = JSON.parse(String(raw)) as ServerMessage;
      } catch {
        this.errors.push(`not JSON from the server: ${String(raw).slice(0, 100)}`);
        return;
      }
      if (m.type === 'pong') this.pongs.get(m.t)?.();
      if (m.type === 'error' && m.error.code === 'internal') this.errors.push(`internal: ${m.error.message}`);
    });
    ws.on('close', () => (this.closed = true));
    ws.on('error', () => (this.closed = true));
  }
  /** Opens /ws (or `path`) with `headers`: the socket, or the status that refused the upgrade. */
  static open(
    t: UiTarget,
    headers: Record<string, string>,
    path = '/ws',
  ): Promise<{ socket?: FuzzSocket; status?: number }> {
    return new Promise((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${t.port}${path}`, { headers, handshakeTimeout: 10_000 });
      ws.once('open', () => resolve({ socket: new FuzzSocket(ws) }));
      ws.once('unexpected-response', (_req, res) => {
        resolve({ status: res.statusCode ?? 0 });
        ws.terminate();
      });
      ws.once('error', (err) =>
        resolve({ status: /\d{3}/.test(err.message) ? Number(/\d{3}/.exec(err.message)![0]) : 0 }),
      );
    });
  }
  ping(t: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), 10_000);
      this.pongs.set(t, () => {
        clearTimeout(timer);
        resolve(true);
      });
      this.ws.send(JSON.stringify({ type: 'ping', t }));
    });
  }
}

/** The headers of the UI's own page: its origin and session cookie. */
export const goodHeaders = (t: UiTarget) => ({
  origin: `http://127.0.0.1:${t.port}`,
  cookie: `kubewire_session_${t.port}=${t.token}`,
});

/** One fuzzed client frame (drawn from `r`): text or binary, valid-looking, junk, deep or big. */
export function frame(r: Rng): string | Buffer {
  switch (r.int(14)) {
    case 0:
      return JSON.stringify(r.pick(FRAMES)).slice(0, r.int(40));
    case 1:
      return Buffer.from(Array.from({ length: r.int(100) }, () => r.int(256)));
    case 2:
      return `{"type":"ping","t":${nested(r.pick([100, 1000, 5000, 20_000]))}}`;
    case 3:
      return JSON.stringify({
        type: 'terminal.input',
        id: '0123456789abcdef',
        data: 'y'.repeat(r.pick([1000, 64 * 1024, 64 * 1024 + 1])),
      });
    case 4:
      return JSON.stringify(junkValue(r));
    case 5:
      return JSON.stringify({ type: oddString(r), id: oddString(r) });
    default: {
      let o: unknown = r.pick(FRAMES);
      for (let i = 0, n = 1 + r.int(2); i < n; i++) o = mutate(r, o);
      return JSON.stringify(o) ?? 'null';
    }
  }
}
