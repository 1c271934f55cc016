// The UI server against a lab `kubewire up` builds (this test's own prefix and state folder): the
// guard, terminals entered into a pod namespace, reattach with scrollback, live topology updates
// (a pod made through the API), shells ended after a dropped WebSocket, and a reset of the lab
// closing the shells in its namespaces.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { kubectl, twoNodeTopology, upWithCli, waitForTopologyPods } from '../../helpers/cli-lab.js';
import type { TestLab } from '../runtime/harness.js';
import { UiTestClient } from '../../helpers/ui-client.js';
import { startUiApp } from '../../../server/ui-app.js';
import type { RunningUiServer } from '../../../server/ui-server.js';
import type { ServerMessage, TerminalInfo } from '../../../common/ui-contract.js';
import WebSocket from 'ws';

const root = process.env.KUBEWIRE_ROOT ?? process.cwd();
let lab: TestLab;
let server: RunningUiServer;
let client: UiTestClient;

before(async () => {
  lab = await upWithCli(twoNodeTopology('ui-server'));
  await waitForTopologyPods(lab);
  server = await startUiApp({ prefix: lab.prefix, staticDir: join(root, 'dist', 'renderer'), log: () => {} });
  client = new UiTestClient(server.port, server.token);
  await client.connect();
});

after(async () => {
  client?.close();
  await server?.dispose();
  await lab?.cleanup();
});

test('requests without the token, with a foreign Origin or Host are refused', async () => {
  const url = `http://127.0.0.1:${server.port}`;
  assert.equal((await fetch(`${url}/`)).status, 401);
  assert.equal((await fetch(`${url}/main.js`)).status, 401);
  assert.equal((await fetch(`${url}/?token=${'0'.repeat(64)}`)).status, 401);
  const withToken = { 'x-kubewire-token': server.token, 'content-type': 'application/json' };
  assert.equal(
    (
      await fetch(`${url}/api/call/session.info`, {
        method: 'POST',
        headers: { ...withToken, origin: 'http://evil.example' },
        body: '{}',
      })
    ).status,
    403,
  );
  assert.equal(
    (await fetch(`${url}/api/call/session.info`, { method: 'POST', headers: { ...withToken }, body: '{}' })).status,
    200,
  );
  const first = await fetch(`${url}/?token=${server.token}`, { redirect: 'manual' });
  assert.equal(first.status, 200);
  assert.match(await first.text(), /http-equiv="refresh" content="0;url=\/"/);
  assert.match(
    first.headers.get('set-cookie') ?? '',
    new RegExp(`^kubewire_session_${server.port}=[0-9a-f]{64}; Path=/; HttpOnly; SameSite=Strict`),
  );
  const page = await fetch(`${url}/`, { headers: { cookie: (first.headers.get('set-cookie') ?? '').split(';')[0]! } });
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<title>kubewire<\/title>/);
  assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
});

test('a WebSocket from another origin or without the token is refused', async () => {
  const attempt = (headers: Record<string, string>): Promise<number> =>
    new Promise((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws`, { headers });
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => {
        ws.terminate();
        resolve(101);
      });
      ws.on('error', () => resolve(-1));
    });
  const cookie = `kubewire_session_${server.port}=${server.token}`;
  assert.equal(await attempt({ origin: 'http://evil.example', cookie }), 403);
  assert.equal(await attempt({ origin: `http://127.0.0.1:${server.port}` }), 401);
  assert.equal(await attempt({ origin: `http://127.0.0.1:${server.port}`, cookie }), 101);
  // The token header is for non-browser clients; on a handshake it still needs our Origin.
  assert.equal(await attempt({ 'x-kubewire-token': server.token }), 403);
  assert.equal(await attempt({ 'x-kubewire-token': server.token, origin: `http://127.0.0.1:${server.port}` }), 101);
});

test('bad input gets a clear error and opens nothing', async () => {
  const before = (await client.mustCall('terminal.list', {})).length;
  const r1 = await client.call('terminal.open', { namespace: 'kw-zz-not-there', cols: 80, rows: 24 });
  assert.equal(r1.ok, false);
  assert.match(!r1.ok ? r1.error.message : '', /not a namespace of this lab/);
  const r2 = await client.call('terminal.open', { namespace: `${lab.prefix}nope`, cols: 80, rows: 24 });
  assert.match(!r2.ok ? r2.error.message : '', /does not exist/);
  const r3 = await client.call('device.details', { namespace: lab.names.node('node1'), ifname: 'eth9' });
  assert.match(!r3.ok ? r3.error.message : '', /no device 'eth9'/);
  assert.equal((await client.mustCall('terminal.list', {})).length, before);
});

/** The shell the reset at the end must close. */
let podShell: TerminalInfo | undefined;

test('a shell in a pod namespace shows the pod IP and survives a reconnect with its scrollback', async () => {
  const pod = { name: 'kubia-24hmb', ip: '192.168.128.10' };
  const podNs = lab.pod(pod.name);
  const info: TerminalInfo = await client.mustCall('terminal.open', { namespace: podNs, cols: 100, rows: 30 });
  // The shell starts inside the lab's cgroup (lab-exec.sh), so a reset ends what is typed in it.
  assert.match(info.command[0]!, /\/native-scripts\/lab-exec\.sh$/);
  assert.deepEqual(info.command.slice(1, 8), [lab.prefix, 'terminals', '--', 'ip', 'netns', 'exec', podNs]);
  client.send({ type: 'terminal.attach', id: info.id });
  client.send({
    type: 'terminal.input',
    id: info.id,
    data: `grep -c ':/${lab.prefix}kubewire/_terminals$' /proc/self/cgroup | sed 's/^/marked=/'\r`,
  });
  await client.waitFor(
    (m) => m.type === 'terminal.output' && client.output(info.id).includes('marked=1'),
    5000,
    'the shell in the lab cgroup',
  );
  client.send({ type: 'terminal.resize', id: info.id, cols: 120, rows: 40 });
  client.send({ type: 'terminal.input', id: info.id, data: 'ip -br addr show dev eth0; stty size\r' });
  await client.waitFor(
    (m) => m.type === 'terminal.output' && client.output(info.id).includes('40 120'),
    5000,
    'stty size after resize',
  );
  assert.match(client.output(info.id), new RegExp(`${pod.ip.replace(/\./g, '\\.')}/24`));

  // A second page (a reload) reattaches and gets what was printed before.
  const reload = new UiTestClient(server.port, server.token);
  await reload.connect();
  try {
    reload.send({ type: 'terminal.attach', id: info.id });
    const sb = await reload.waitFor<Extract<ServerMessage, { type: 'terminal.scrollback' }>>(
      (m) => m.type === 'terminal.scrollback' && m.id === info.id,
      3000,
      'scrollback',
    );
    assert.match(sb.data, new RegExp(pod.ip.replace(/\./g, '\\.')));
  } finally {
    reload.close();
  }
  podShell = info;
});

test('the topology arrives on subscribe and follows a new pod without a reload', async () => {
  const mark = client.frames.length;
  client.send({ type: 'topology.subscribe' });
  const first = await client.waitFor<Extract<ServerMessage, { type: 'topology' }>>(
    (m) => m.type === 'topology',
    5000,
    'topology',
    mark,
  );
  const names = first.graph.namespaces.map((n) => n.name);
  assert.ok(names.includes(lab.names.node('node1')) && names.includes(`${lab.prefix}underlay`));
  assert.ok(first.graph.edges.some((e) => e.kind === 'vxlan'));
  // A pod made through the API, as a user makes one; its kubelet on node2 wires it.
  await kubectl(
    lab,
    ['apply', '-f', '-'],
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'late-pod', namespace: 'default', annotations: { 'kubewire.io/ip': '192.168.129.77' } },
      spec: { nodeName: 'node2', containers: [{ name: 'tools', image: 'tools' }] },
    }),
  );
  // A bounded wait: how fast is bench/ui.bench.ts's to measure.
  const upd = await client.waitFor<Extract<ServerMessage, { type: 'topology' }>>(
    (m) => m.type === 'topology' && m.graph.devices.some((d) => d.addresses.includes('192.168.129.77/24')),
    30_000,
    'the new pod in the topology',
    mark + 1,
  );
  assert.ok(upd.graph.namespaces.some((n) => n.pod === 'late-pod'));
  client.send({ type: 'topology.unsubscribe' });
});

test('a dropped WebSocket ends its shells after the grace period; more than the cap is refused', async () => {
  const small = await startUiApp({
    prefix: lab.prefix,
    staticDir: join(root, 'dist', 'renderer'),
    log: () => {},
    detachGraceMs: 400,
    maxTerminals: 2,
  });
  const c = new UiTestClient(small.port, small.token);
  try {
    await c.connect();
    const node = lab.names.node('node1');
    const t = await c.mustCall('terminal.open', { namespace: node, cols: 80, rows: 24 });
    c.send({ type: 'terminal.attach', id: t.id });
    await c.waitFor((m) => m.type === 'terminal.scrollback' && m.id === t.id, 5000, 'scrollback');
    const other = await c.mustCall('terminal.open', { namespace: node, cols: 80, rows: 24 });
    const third = await c.call('terminal.open', { namespace: node, cols: 80, rows: 24 });
    assert.equal(third.ok, false);
    assert.match(!third.ok ? third.error.message : '', /2 shells are already open on this server \(the limit\)/);
    // `other` was never attached: it goes after the grace. `t` is attached until the socket drops.
    await new Promise((r) => setTimeout(r, 1200));
    const ids = (await c.mustCall('terminal.list', {})).map((x) => x.id);
    assert.deepEqual(ids, [t.id]);
    assert.throws(() => process.kill(other.pid, 0));
    c.close();
    await new Promise((r) => setTimeout(r, 1200));
    const c2 = new UiTestClient(small.port, small.token);
    assert.deepEqual(await c2.mustCall('terminal.list', {}), []);
    assert.throws(() => process.kill(t.pid, 0), 'the shell process is gone');
  } finally {
    c.close();
    await small.dispose();
  }
});

test('resetting the lab closes the shells in its namespaces', async () => {
  assert.ok(podShell, 'the pod shell of the test above');
  assert.ok(
    (await client.mustCall('terminal.list', {})).some((t) => t.id === podShell!.id),
    'the pod shell is still open',
  );
  const mark = client.frames.length;
  const r = await lab.cli(['reset', '--lab', lab.topo.name], { timeoutMs: 180_000 });
  assert.equal(r.exitCode, 0, String(r.stderr));
  await client.waitFor(
    (m) => m.type === 'terminals' && !m.terminals.some((t) => t.id === podShell!.id),
    30_000,
    'the shell to be closed',
    mark,
  );
  assert.throws(() => process.kill(podShell!.pid, 0), 'the shell process is gone');
});
