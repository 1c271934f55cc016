// End to end through the real UI in Debian's Chromium (playwright-core): a lab built by
// `kubewire up` with this test's own prefix and state folder (two nodes, three pods, the cluster),
// the server in this process, the page loaded with the token. Screenshots go to test-output/screenshots/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { upWithCli } from '../helpers/cli-lab.js';
import { TWO_NODES, type TestLab } from '../integration/runtime/harness.js';
import { startUiApp } from '../../server/ui-app.js';
import type { RunningUiServer } from '../../server/ui-server.js';

const root = process.env.KUBEWIRE_ROOT ?? process.cwd();
const shots = join(root, 'test-output', 'screenshots');
const CHROMIUM = '/usr/bin/chromium';
const skip = !existsSync(CHROMIUM)
  ? 'Debian chromium is not installed (/usr/bin/chromium)'
  : process.getuid?.() !== 0
    ? 'needs root (namespaces)'
    : false;

let lab: TestLab;
/** What TWO_NODES builds. */
const PODS = [
  { name: 'kubia-a', ip: '192.168.128.10' },
  { name: 'kubia-b', ip: '192.168.132.73' },
  { name: 'tools', ip: '192.168.132.150' },
];
const NODES = [
  { name: 'node1', subnet: '192.168.128' },
  { name: 'node5', subnet: '192.168.132' },
];
let server: RunningUiServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const serverLog: string[] = [];

before(async () => {
  // A missing tool fails every test of the file, loudly; nothing here passes by skipping.
  if (skip) throw new Error(skip);
  mkdirSync(shots, { recursive: true });
  lab = await upWithCli(TWO_NODES);
  server = await startUiApp({
    prefix: lab.prefix,
    stateBase: lab.stateBase,
    learnerStateFile: join(lab.stateBase, 'ui.json'),
    staticDir: join(root, 'dist', 'renderer'),
    log: (l) => serverLog.push(l),
  });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  page = await context.newPage();
});

after(async () => {
  await browser?.close();
  await server?.dispose();
  await lab?.cleanup();
});

// The page's globals as the functions below use them: this file compiles against Node's types,
// and the page's CSP (no eval) rules out passing code as strings.
interface PageElement {
  hidden: boolean;
  textContent: string | null;
  querySelector(s: string): PageElement | null;
}
declare const document: { querySelectorAll(s: string): Iterable<PageElement> };
declare const window: { kubewireDebug?: { labels(): string[]; tap(id: string): boolean } };

const anyTerminalHas = (text: string): boolean =>
  [...document.querySelectorAll('.terminal-pane .xterm-rows')].some((e) => (e.textContent ?? '').includes(text));

async function terminalText(p: Page): Promise<string> {
  return p.evaluate(() =>
    [...document.querySelectorAll('.terminal-pane')]
      .filter((e) => !e.hidden)
      .map((e) => e.querySelector('.xterm-rows')?.textContent ?? '')
      .join(''),
  );
}

test('the topology shows every node and pod with its IP', async () => {
  await page.goto(server.url);
  // The session page trades the URL token for a cookie, then loads the app without it.
  await page.waitForURL((u) => u.search === '', { timeout: 10_000 });
  assert.equal(new URL(page.url()).search, '', 'the token leaves the address bar');
  await page.waitForFunction(
    (n) => (window.kubewireDebug?.labels().filter((l) => /^(kubia-|tools)/.test(l)).length ?? 0) >= n,
    PODS.length,
    { timeout: 15_000 },
  );
  const labels = await page.evaluate(() => window.kubewireDebug!.labels());
  for (const pod of PODS)
    assert.ok(
      labels.some((l) => l.startsWith(`${pod.name}\n${pod.ip}\n`)),
      `pod ${pod.name} ${pod.ip} drawn`,
    );
  for (const n of NODES) {
    assert.ok(labels.includes(n.name), `node ${n.name} drawn`);
    assert.ok(labels.includes(`cni0\n${n.subnet}.1/24`));
    assert.ok(labels.includes(`flannel.1\n${n.subnet}.0/32`));
  }
  // Every node and pod namespace is listed (the cluster's own pods, e.g. coredns, may add more).
  for (const ns of [lab.names.node('node1'), lab.names.node('node5'), ...PODS.map((p) => lab.pod(p.name))]) {
    assert.equal(await page.locator(`#namespace-list .ns-row[data-namespace="${ns}"]`).count(), 1, ns);
  }
  await page.screenshot({ path: join(shots, 'topology.png') });
});

test('clicking a device shows its details', async () => {
  const ok = await page.evaluate((id) => window.kubewireDebug!.tap(id), `dev:${lab.names.node('node1')}/flannel.1`);
  assert.equal(ok, true);
  await page.locator('#details-body [data-section="fdb"] pre').waitFor({ timeout: 5000 });
  const fdb = await page.locator('#details-body [data-section="fdb"] pre').textContent();
  assert.match(fdb ?? '', /dst 10\.231\.209\.117/);
  const link = await page.locator('#details-body [data-section="link"] pre').textContent();
  assert.match(link ?? '', /vxlan id 1 local 10\.231\.209\.113 dev eth0 .*dstport 8472/);
  await page.screenshot({ path: join(shots, 'details-flannel.png') });
});

test('a terminal in a pod shows its IP in ip addr, and comes back after a reload', async () => {
  const ns = lab.pod('kubia-a');
  const ip = PODS[0]!.ip;
  await page.locator(`#namespace-list [data-open-terminal="${ns}"]`).click();
  await page.locator('.terminal-pane:not([hidden]) .xterm-rows').waitFor({ timeout: 5000 });
  // The shell is in the pod: its hostname (pause's UTS namespace) is the pod's name. (The prompt
  // naming the namespace, PS1, is lost since terminals start through native-scripts/lab-exec.sh:
  // bash drops PS1 from the environment of its non-interactive script; reported, not fixed here.)
  await page.waitForFunction(anyTerminalHas, '#', { timeout: 10_000 });
  await page.keyboard.type('hostname\n', { delay: 20 });
  await page.waitForFunction(anyTerminalHas, 'kubia-a', { timeout: 10_000 }).catch(async (err: unknown) => {
    await page.screenshot({ path: join(shots, 'terminal-pod-failed.png') });
    throw new Error(`not in the pod; the terminal shows: ${JSON.stringify(await terminalText(page))}`, { cause: err });
  });
  await page.keyboard.type('ip addr\n', { delay: 20 });
  await page.waitForFunction(anyTerminalHas, `inet ${ip}/24`, { timeout: 5000 });
  await page.screenshot({ path: join(shots, 'terminal-pod.png') });

  await page.reload();
  await page.waitForFunction(anyTerminalHas, `inet ${ip}/24`, { timeout: 8000 });
  assert.match(await terminalText(page), new RegExp(`inet ${ip.replace(/\./g, '\\.')}/24`));
  assert.equal(await page.locator('#terminal-tabs .tab').count(), 1);
  await page.screenshot({ path: join(shots, 'terminal-after-reload.png') });
});

test('the iptables view unfolds OUTPUT → KUBE-SERVICES → … → DNAT of the kubernetes Service, and its counters move', async () => {
  const node = lab.names.node('node1');
  await page.locator('.view-tab[data-view="iptables"]').click();
  await page.locator('#iptables-namespace').selectOption(node);
  await page.locator('#iptables-tree [data-chain="OUTPUT"]').first().waitFor({ timeout: 5000 });
  // Traffic from the node to the kubernetes Service's cluster IP: kube-proxy's rules DNAT it to an
  // apiserver endpoint (<node address>:6443). The rules are kube-proxy's own, synced from the cluster.
  const dnat = page.locator('#iptables-tree .ipt-leaf .ipt-rule', {
    hasText: /--to-destination 10\.231\.209\.\d+:6443/,
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    spawnSync('ip', ['netns', 'exec', node, 'curl', '-sk', '-m', '1', 'https://192.168.192.1/'], { stdio: 'ignore' });
    await page.locator('#iptables-expand').click();
    if ((await dnat.count()) > 0 && Number(await dnat.first().locator('.ipt-count').textContent()) >= 1) break;
    assert.ok(Date.now() < deadline, 'a DNAT rule of the kubernetes Service counted the connection');
    await page.waitForTimeout(1000);
  }
  await page.waitForFunction(
    () =>
      [...document.querySelectorAll('#iptables-tree .ipt-rule.hit .ipt-target')].some(
        (e) => e.textContent === 'KUBE-SERVICES',
      ),
    undefined,
    { timeout: 5000 },
  );
  assert.equal(await dnat.first().locator('.ipt-target').textContent(), 'DNAT');
  await page.screenshot({ path: join(shots, 'iptables.png') });
  await page.locator('.view-tab[data-view="topology"]').click();
});

test('another page cannot drive the server, and a page without the token is refused', async () => {
  const anon = await (await browser.newContext()).newPage();
  const res = await anon.goto(`http://127.0.0.1:${server.port}/`);
  assert.equal(res?.status(), 401);
  await anon.close();

  // A page from another origin on the same machine (same site for cookies: only Origin tells).
  const evil: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>evil</title>');
  });
  await new Promise<void>((r) => evil.listen(0, '127.0.0.1', () => r()));
  try {
    const evilPort = (evil.address() as { port: number }).port;
    const attacker = await context.newPage();
    await attacker.goto(`http://127.0.0.1:${evilPort}/`);
    const outcome = await attacker.evaluate(async (port) => {
      const results: string[] = [];
      try {
        const r = await fetch(`http://127.0.0.1:${port}/api/call/terminal.open`, {
          method: 'POST',
          credentials: 'include',
          mode: 'no-cors',
          headers: { 'content-type': 'text/plain' },
          body: '{"namespace":"x","cols":80,"rows":24}',
        });
        results.push(`no-cors:${r.type}`);
      } catch (e) {
        results.push(`no-cors:error`);
      }
      results.push(
        await new Promise<string>((resolve) => {
          const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
          ws.onopen = () => resolve('ws:open');
          ws.onerror = () => resolve('ws:refused');
        }),
      );
      return results;
    }, server.port);
    assert.deepEqual(outcome.slice(1), ['ws:refused']);
    assert.ok(
      serverLog.some(
        (l) =>
          l.includes('refused POST /api/call/terminal.open') && l.includes(`Origin 'http://127.0.0.1:${evilPort}'`),
      ),
      serverLog.join('\n'),
    );
    assert.ok(serverLog.some((l) => l.includes('refused WebSocket') && l.includes('Origin')));
    await attacker.close();
  } finally {
    await new Promise<void>((r) => evil.close(() => r()));
  }
  // The attacker opened no shell.
  assert.equal(await page.locator('#terminal-tabs .tab').count(), 1);
});
