// 10,000 malformed inputs against the real UI server in its own process, as `kubewire serve` runs
// it (seeded; KUBEWIRE_FUZZ_SEED reproduces a run): 5,000 HTTP requests (every call of the contract
// with fields replaced, removed and added, invalid and deep JSON, oversized bodies, wrong methods,
// content types, tokens, Host and Origin headers, odd static and capture paths) and 5,000 WebSocket
// inputs (frames of every client message type with junk fields, invalid JSON, binary, oversized and
// deep frames, and upgrades with bad credentials). No answer is a 5xx fault, the process never
// dies, it answers at the end, and the machine's namespaces, links and mounts are as before.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { CALL_NAMES, MAX_FRAME_BYTES, type ServerMessage } from '../../../common/ui-contract.js';
import { fuzzSeed, junkValue, mutate, nested, oddString, Rng } from '../../helpers/fuzz.js';
import { hostChanges, hostSnapshot, objectsWithPrefix, type HostSnapshot } from '../../helpers/host-snapshot.js';

const HTTP_REQUESTS = Number(process.env.KUBEWIRE_FUZZ_UI_CALLS ?? 5_000);
const WS_INPUTS = Number(process.env.KUBEWIRE_FUZZ_UI_FRAMES ?? 5_000);
const SEED = fuzzSeed(20261203);
const root = process.env.KUBEWIRE_ROOT ?? process.cwd();
const prefix = `kw-t${randomBytes(3).toString('hex')}-`;
const dir = mkdtempSync(join(tmpdir(), 'kubewire-ui-fuzz-'));
// No guided lab: a call that names one must not build it.
mkdirSync(join(dir, 'labs'));

let child: ChildProcess;
let port = 0;
let token = '';
let exited: { code: number | null; signal: string | null } | undefined;
let stderr = '';
let hostBefore: HostSnapshot;
const agent = new Agent({ keepAlive: true, maxSockets: 2 });

/** One sample request per call: the fuzz mutates these. A call added to the contract needs one here. */
const SAMPLES: Record<string, Record<string, unknown>> = {
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
const FRAMES: Record<string, unknown>[] = [
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
const STATIC_PATHS = [
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
const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  '',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/jsonx',
];
const METHODS = ['POST', 'POST', 'POST', 'POST', 'GET', 'PUT', 'DELETE', 'OPTIONS', 'HEAD', 'PATCH'];

before(async () => {
  hostBefore = hostSnapshot(prefix);
  const script = `import { startUiApp } from ${JSON.stringify(join(root, 'dist', 'server', 'ui-app.js'))};
const s = await startUiApp(${JSON.stringify({
    prefix,
    staticDir: join(root, 'dist', 'renderer'),
    labsRoot: join(dir, 'labs'),
    stateBase: join(dir, 'state'),
    learnerStateFile: join(dir, 'learner.json'),
  })});
process.on('SIGTERM', () => s.dispose().then(() => process.exit(0)));
console.log(JSON.stringify({ port: s.port, token: s.token }));`;
  child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.on('exit', (code, signal) => (exited = { code, signal }));
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-20_000)));
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0]!);
    });
    child.once('exit', () => reject(new Error(`ui server exited: ${stderr}`)));
  });
  ({ port, token } = JSON.parse(line) as { port: number; token: string });
});

after(async () => {
  agent.destroy();
  if (child && !exited) {
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await Promise.race([gone, new Promise((r) => setTimeout(r, 10_000))]);
    if (!exited) child.kill('SIGKILL');
  }
  rmSync(dir, { recursive: true, force: true });
});

interface HttpCase {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

function auth(r: Rng, headers: Record<string, string>): void {
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

function httpCase(r: Rng): HttpCase {
  const headers: Record<string, string> = {};
  auth(r, headers);
  const ct = r.chance(0.85) ? 'application/json' : r.pick(CONTENT_TYPES);
  if (ct) headers['Content-Type'] = ct;
  const method = r.chance(0.8) ? 'POST' : r.pick(METHODS);
  const name = r.chance(0.85) ? r.pick(CALL_NAMES) : encodeURIComponent(oddString(r)).slice(0, 300);
  const path = r.chance(0.85) ? `/api/call/${name}` : r.pick(STATIC_PATHS);
  const sample = SAMPLES[name] ?? {};
  return { method, path, headers, body: method === 'GET' || method === 'HEAD' ? undefined : callBody(r, sample) };
}

function send(c: HttpCase): Promise<{ status: number; text: string }> {
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

test(`${HTTP_REQUESTS} malformed UI calls: no 5xx fault, no crash (seed ${SEED})`, { timeout: 300_000 }, async () => {
  assert.deepEqual(
    CALL_NAMES.filter((n) => !SAMPLES[n]),
    [],
    'every call of the contract has a fuzz sample',
  );
  const r = new Rng(SEED);
  const statuses = new Map<number, number>();
  const failures: string[] = [];
  for (let i = 0; i < HTTP_REQUESTS; i++) {
    const c = httpCase(r);
    const res = await send(c);
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    // 503 'unavailable' is the designed answer of a call whose part is absent (no apiserver, no lab
    // running); a fault is 500 'internal', any other 5xx, no answer, or a dead process.
    const designed = res.status === 503 && res.text.includes('"code":"unavailable"');
    const reset = res.status === -1 && (c.body?.length ?? 0) > 64 * 1024;
    if ((res.status >= 500 && !designed) || res.status === 0 || (res.status === -1 && !reset) || exited)
      failures.push(
        `#${i} ${c.method} ${c.path.slice(0, 100)} ${(c.body ?? Buffer.alloc(0)).toString('utf8').slice(0, 100)} → ${res.status} ${res.text}`,
      );
    if (exited) break;
  }
  console.log(
    `ui fuzz seed ${SEED}: ${HTTP_REQUESTS} calls, statuses ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}`,
  );
  assert.deepEqual(
    failures.slice(0, 20),
    [],
    `${failures.length} calls failed (KUBEWIRE_FUZZ_SEED=${SEED} reproduces)\n${stderr.slice(-2000)}`,
  );
  assert.equal(exited, undefined, stderr);
});

class FuzzSocket {
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
  static open(headers: Record<string, string>, path = '/ws'): Promise<{ socket?: FuzzSocket; status?: number }> {
    return new Promise((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, { headers, handshakeTimeout: 10_000 });
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

const goodHeaders = () => ({ origin: `http://127.0.0.1:${port}`, cookie: `kubewire_session_${port}=${token}` });

function frame(r: Rng): string | Buffer {
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

test(
  `${WS_INPUTS} malformed WebSocket frames and upgrades: no internal error, no crash (seed ${SEED})`,
  { timeout: 300_000 },
  async () => {
    const r = new Rng(SEED + 1);
    const failures: string[] = [];
    const counts = { frames: 0, binary: 0, oversized: 0, upgrades: 0, refusedUpgrades: 0, closedBy1009: 0 };
    let s = (await FuzzSocket.open(goodHeaders())).socket!;
    assert.ok(s, 'the first socket opens');
    const errors: string[] = [];
    for (let i = 0; i < WS_INPUTS && !exited; i++) {
      if (r.chance(0.04)) {
        // An upgrade with wrong credentials, origin or path: refused with a status, never a crash.
        counts.upgrades++;
        const headers: Record<string, string> = {};
        if (r.chance(0.6))
          headers.origin = r.pick([
            `http://127.0.0.1:${port}`,
            'http://evil.example',
            'null',
            oddString(r)
              .replace(/[^\x21-\x7e]/g, 'x')
              .slice(0, 100) || 'x',
          ]);
        if (r.chance(0.6)) headers.cookie = `kubewire_session_${port}=${r.chance(0.3) ? token : 'f'.repeat(64)}`;
        if (r.chance(0.3)) headers['x-kubewire-token'] = r.chance(0.5) ? token : 'nope';
        const path = r.chance(0.7)
          ? '/ws'
          : r.pick(['/', '/ws/x', '/ws?token=' + token, '/api/call/session.info', '/%zz']);
        const o = await FuzzSocket.open(headers, path);
        if (o.socket) {
          errors.push(...o.socket.errors);
          o.socket.ws.close();
        } else {
          counts.refusedUpgrades++;
          if (!o.status || o.status >= 500)
            failures.push(`#${i} upgrade ${path} ${JSON.stringify(headers).slice(0, 150)} → ${o.status}`);
        }
        continue;
      }
      let f = frame(r);
      if (r.chance(0.01))
        f = JSON.stringify({ type: 'terminal.input', id: 'x', data: 'z'.repeat(MAX_FRAME_BYTES + 1) });
      counts.frames++;
      if (Buffer.isBuffer(f)) counts.binary++;
      const oversized = Buffer.byteLength(f) > MAX_FRAME_BYTES;
      if (oversized) counts.oversized++;
      if (oversized) {
        const closed = new Promise<number>((resolve) => s.ws.once('close', (code) => resolve(code)));
        s.ws.send(f);
        const code = await closed;
        if (code === 1009) counts.closedBy1009++;
        else failures.push(`#${i} frame of ${Buffer.byteLength(f)} bytes closed the socket with ${code}, not 1009`);
      } else {
        s.ws.send(f);
      }
      // Every 50 inputs (and after a close): the server still answers on this socket, or a new one.
      if (s.closed || i % 50 === 49) {
        if (!s.closed && !(await s.ping(i))) failures.push(`#${i} no pong within 10 s`);
        if (s.closed) {
          errors.push(...s.errors);
          const o = await FuzzSocket.open(goodHeaders());
          if (!o.socket) {
            failures.push(`#${i} could not open a new socket: ${o.status}`);
            break;
          }
          s = o.socket;
        }
      }
    }
    errors.push(...s.errors);
    console.log(`ui websocket fuzz seed ${SEED}: ${WS_INPUTS} inputs ${JSON.stringify(counts)}`);
    assert.deepEqual(
      [...failures, ...errors].slice(0, 20),
      [],
      `KUBEWIRE_FUZZ_SEED=${SEED} reproduces\n${stderr.slice(-2000)}`,
    );
    assert.ok(await s.ping(-1), 'the last socket answers');
    s.ws.close();
    assert.equal(exited, undefined, stderr);
  },
);

test('after the fuzz: the server answers, and the machine is as before', async () => {
  const info = await send({
    method: 'POST',
    path: '/api/call/session.info',
    headers: { Host: `127.0.0.1:${port}`, 'x-kubewire-token': token, 'Content-Type': 'application/json' },
    body: Buffer.from('{}'),
  });
  assert.equal(info.status, 200, info.text);
  assert.equal((JSON.parse(info.text) as { result: { prefix: string } }).result.prefix, prefix);
  const o = await FuzzSocket.open(goodHeaders());
  assert.ok(o.socket && (await o.socket.ping(42)), 'a new socket gets its pong');
  o.socket!.ws.close();
  assert.equal(exited, undefined, stderr);
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await gone;
  assert.deepEqual(exited, { code: 0, signal: null }, `the server shuts down cleanly\n${stderr.slice(-2000)}`);
  assert.deepEqual(objectsWithPrefix(prefix), [], 'no kernel object of the fuzzed lab prefix');
  assert.deepEqual(hostChanges(hostBefore, hostSnapshot(prefix)), [], 'namespaces, root links and mounts unchanged');
});
