// 10,000 malformed inputs against the real UI server in its own process, as `kubewire serve` runs
// it (seeded; KUBEWIRE_FUZZ_SEED reproduces a run): 5,000 HTTP requests (every call of the contract
// with fields replaced, removed and added, invalid and deep JSON, oversized bodies, wrong methods,
// content types, tokens, Host and Origin headers, odd static and capture paths) and 5,000 WebSocket
// inputs (frames of every client message type with junk fields, invalid JSON, binary, oversized and
// deep frames, and upgrades with bad credentials). No answer is a 5xx fault, the process never
// dies, it answers at the end, and the machine's namespaces, links and mounts are as before.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { CALL_NAMES, MAX_FRAME_BYTES } from '../../../common/ui-contract.js';
import { fuzzSeed, oddString, Rng } from '../../helpers/fuzz.js';
import { hostChanges, hostSnapshot, objectsWithPrefix, type HostSnapshot } from '../../helpers/host-snapshot.js';
import { frame, FuzzSocket, goodHeaders as goodHeadersOf, httpCase, send, uiTarget } from './ui-fuzz-inputs.js';

const HTTP_REQUESTS = Number(process.env.KUBEWIRE_FUZZ_UI_CALLS ?? 5_000);
const WS_INPUTS = Number(process.env.KUBEWIRE_FUZZ_UI_FRAMES ?? 5_000);
const SEED = fuzzSeed(20261203);
const root = process.env.KUBEWIRE_ROOT ?? process.cwd();
const prefix = `kw-t${randomBytes(3).toString('hex')}-`;
const dir = mkdtempSync(join(tmpdir(), 'kubewire-ui-fuzz-'));
// No guided lab: a call that names one must not build it.
mkdirSync(join(dir, 'labs'));

let child: ResultPromise<{ stdin: 'ignore'; buffer: false; reject: false; forceKillAfterDelay: false }>;
// Its port and token once before() started the server.
const target = uiTarget(prefix);
let exited: { code: number | null; signal: string | null } | undefined;
let stderr = '';
let hostBefore: HostSnapshot;

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
  // Its exit is watched through 'exit' (code and signal), and SIGTERM is not followed by a SIGKILL:
  // the last test checks that the server shuts down cleanly by itself.
  child = execa(process.execPath, ['--input-type=module', '-e', script], {
    stdin: 'ignore',
    buffer: false,
    reject: false,
    forceKillAfterDelay: false,
  });
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
  ({ port: target.port, token: target.token } = JSON.parse(line) as { port: number; token: string });
});

after(async () => {
  target.agent.destroy();
  if (child && !exited) {
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await Promise.race([gone, new Promise((r) => setTimeout(r, 10_000))]);
    if (!exited) child.kill('SIGKILL');
  }
  rmSync(dir, { recursive: true, force: true });
});

const goodHeaders = () => goodHeadersOf(target);

test(`${HTTP_REQUESTS} malformed UI calls: no 5xx fault, no crash (seed ${SEED})`, { timeout: 300_000 }, async () => {
  assert.deepEqual(
    CALL_NAMES.filter((n) => !target.samples[n]),
    [],
    'every call of the contract has a fuzz sample',
  );
  const r = new Rng(SEED);
  const statuses = new Map<number, number>();
  const failures: string[] = [];
  for (let i = 0; i < HTTP_REQUESTS; i++) {
    const c = httpCase(r, target);
    const res = await send(target, c);
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

test(
  `${WS_INPUTS} malformed WebSocket frames and upgrades: no internal error, no crash (seed ${SEED})`,
  { timeout: 300_000 },
  async () => {
    const r = new Rng(SEED + 1);
    const failures: string[] = [];
    const counts = { frames: 0, binary: 0, oversized: 0, upgrades: 0, refusedUpgrades: 0, closedBy1009: 0 };
    let s = (await FuzzSocket.open(target, goodHeaders())).socket!;
    assert.ok(s, 'the first socket opens');
    const errors: string[] = [];
    for (let i = 0; i < WS_INPUTS && !exited; i++) {
      if (r.chance(0.04)) {
        // An upgrade with wrong credentials, origin or path: refused with a status, never a crash.
        counts.upgrades++;
        const headers: Record<string, string> = {};
        if (r.chance(0.6))
          headers.origin = r.pick([
            `http://127.0.0.1:${target.port}`,
            'http://evil.example',
            'null',
            oddString(r)
              .replace(/[^\x21-\x7e]/g, 'x')
              .slice(0, 100) || 'x',
          ]);
        if (r.chance(0.6))
          headers.cookie = `kubewire_session_${target.port}=${r.chance(0.3) ? target.token : 'f'.repeat(64)}`;
        if (r.chance(0.3)) headers['x-kubewire-token'] = r.chance(0.5) ? target.token : 'nope';
        const path = r.chance(0.7)
          ? '/ws'
          : r.pick(['/', '/ws/x', '/ws?token=' + target.token, '/api/call/session.info', '/%zz']);
        const o = await FuzzSocket.open(target, headers, path);
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
          const o = await FuzzSocket.open(target, goodHeaders());
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
  const info = await send(target, {
    method: 'POST',
    path: '/api/call/session.info',
    headers: { Host: `127.0.0.1:${target.port}`, 'x-kubewire-token': target.token, 'Content-Type': 'application/json' },
    body: Buffer.from('{}'),
  });
  assert.equal(info.status, 200, info.text);
  assert.equal((JSON.parse(info.text) as { result: { prefix: string } }).result.prefix, prefix);
  const o = await FuzzSocket.open(target, goodHeaders());
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
