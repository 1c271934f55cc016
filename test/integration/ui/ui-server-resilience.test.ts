// The UI server in its own process, as `kubewire serve` runs it: a frame over the limit closes only
// that socket (1009), malformed request targets and escapes are 4xx, an oversized call body is 413,
// and through all of it the process stays up and keeps serving the other socket. Capture folders a
// killed server left in /tmp are removed by the next one.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UiTestClient } from '../../helpers/ui-client.js';
import { MAX_FRAME_BYTES } from '../../../common/ui-contract.js';
import { splitTerminalInput } from '../../../common/terminal-input.js';

const root = process.env.KUBEWIRE_ROOT ?? process.cwd();
let child: ChildProcess;
let port = 0;
let token = '';
let exited: { code: number | null; signal: string | null } | undefined;
let stderr = '';
const stale = join(tmpdir(), `kubewire-captures-${deadPid()}-zzzzzz`);

function deadPid(): number {
  return spawnSync('true').pid!; // exited before we use it
}

before(async () => {
  mkdirSync(stale, { recursive: true });
  const script = `import { startUiApp } from ${JSON.stringify(join(root, 'dist', 'server', 'ui-app.js'))};
const s = await startUiApp({ prefix: 'kw-hsaferes-', staticDir: ${JSON.stringify(join(root, 'dist', 'renderer'))}, log: (l) => console.error(l) });
console.log(JSON.stringify({ port: s.port, token: s.token }));`;
  child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.on('exit', (code, signal) => (exited = { code, signal }));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0]!);
    });
    child.once('exit', () => reject(new Error(`server exited: ${stderr}`)));
  });
  ({ port, token } = JSON.parse(line) as { port: number; token: string });
});

after(() => {
  child?.kill('SIGKILL');
});

function rawRequest(text: string): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1', () => s.write(text));
    let got = '';
    s.on('data', (d) => (got += d.toString()));
    s.on('close', () => resolve(got));
    s.on('error', () => resolve(got));
    setTimeout(() => s.destroy(), 2000).unref();
  });
}

test('a frame over the limit closes that socket with 1009; the process and the other socket keep going', async () => {
  const a = new UiTestClient(port, token);
  const b = new UiTestClient(port, token);
  await a.connect();
  await b.connect();
  const closed = new Promise<number>((resolve) => a.ws!.once('close', (code) => resolve(code)));
  a.send({ type: 'terminal.input', id: 't1', data: 'x'.repeat(MAX_FRAME_BYTES + 10) });
  assert.equal(await closed, 1009);
  b.send({ type: 'ping', t: 7 });
  await b.waitFor((m) => m.type === 'pong' && m.t === 7, 5000, 'pong on the other socket');
  assert.equal((await b.call('session.info', {})).ok, true);
  // A paste split as the renderer splits it passes the limit frame by frame.
  for (const chunk of splitTerminalInput('y'.repeat(3 * MAX_FRAME_BYTES)))
    b.send({ type: 'terminal.input', id: 'nope', data: chunk });
  b.send({ type: 'ping', t: 8 });
  await b.waitFor((m) => m.type === 'pong' && m.t === 8, 5000, 'pong after the chunked paste');
  assert.equal(b.ws!.readyState, b.ws!.OPEN);
  b.close();
  assert.equal(exited, undefined, stderr);
});

test('malformed targets, bad escapes and oversized bodies are 4xx, not a crash or a reset', async () => {
  const url = `http://127.0.0.1:${port}`;
  const upgrade = await rawRequest(
    'GET http://[ HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n',
  );
  assert.match(upgrade, /^HTTP\/1\.1 400/);
  const cookie = `kubewire_session_${port}=${token}`;
  assert.equal((await fetch(`${url}/%E0%A4%A`, { headers: { cookie } })).status, 400);
  const big = await fetch(`${url}/api/call/session.info`, {
    method: 'POST',
    headers: { cookie, 'content-type': 'application/json' },
    body: JSON.stringify({ pad: 'z'.repeat(100 * 1024) }),
  });
  assert.equal(big.status, 413);
  assert.match(await big.text(), /larger than 65536 bytes/);
  const c = new UiTestClient(port, token);
  await c.connect();
  c.send({ type: 'ping', t: 9 });
  await c.waitFor((m) => m.type === 'pong', 5000, 'pong');
  c.close();
  assert.equal(exited, undefined, stderr);
});

test('a capture folder left by a dead server is removed when the next one starts', () => {
  assert.equal(existsSync(stale), false);
});
