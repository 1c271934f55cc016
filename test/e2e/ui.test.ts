// End to end through the real UI in Debian's Chromium (playwright-core): a mini lab made with this
// test's own prefix, the server in this process, the page loaded with the token. Screenshots go to
// test-output/screenshots/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { buildMiniLab, testPrefix, type MiniLab } from '../helpers/mini-lab.js';
import { startUiApp } from '../../server/ui-app.js';
import type { RunningUiServer } from '../../server/ui-server.js';

const root = process.env.KUBEWIRE_ROOT ?? process.cwd();
const shots = join(root, 'test-output', 'screenshots');
const CHROMIUM = '/usr/bin/chromium';
const skip = !existsSync(CHROMIUM) ? 'Debian chromium is not installed (/usr/bin/chromium)' : process.getuid?.() !== 0 ? 'needs root (namespaces)' : false;

let lab: MiniLab;
let server: RunningUiServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const serverLog: string[] = [];

before(async () => {
  if (skip) return;
  mkdirSync(shots, { recursive: true });
  lab = buildMiniLab(testPrefix(), 2);
  server = await startUiApp({ prefix: lab.prefix, staticDir: join(root, 'dist', 'renderer'), log: (l) => serverLog.push(l) });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  page = await context.newPage();
});

after(async () => {
  await browser?.close();
  await server?.dispose();
  lab?.remove();
});

function podNs(i: number): string {
  const p = lab.pods[i]!;
  return lab.ns(`${p.k8sNamespace}_${p.name}`);
}

// The page's globals as the functions below use them: this file compiles against Node's types,
// and the page's CSP (no eval) rules out passing code as strings.
interface PageElement {
  hidden: boolean;
  textContent: string | null;
  querySelector(s: string): PageElement | null;
}
declare const document: { querySelectorAll(s: string): Iterable<PageElement> };
declare const window: { kubewireDebug?: { labels(): string[]; tap(id: string): boolean } };

const anyTerminalHas = (text: string): boolean => [...document.querySelectorAll('.terminal-pane .xterm-rows')].some((e) => (e.textContent ?? '').includes(text));

async function terminalText(p: Page): Promise<string> {
  return p.evaluate(() =>
    [...document.querySelectorAll('.terminal-pane')]
      .filter((e) => !e.hidden)
      .map((e) => e.querySelector('.xterm-rows')?.textContent ?? '')
      .join(''),
  );
}

test('the topology shows every node and pod with its IP', { skip }, async () => {
  await page.goto(server.url);
  assert.equal(new URL(page.url()).search, '', 'the token leaves the address bar');
  await page.waitForFunction((n) => (window.kubewireDebug?.labels().filter((l) => l.includes('kubia-')).length ?? 0) >= n, lab.pods.length, { timeout: 10_000 });
  const labels = await page.evaluate(() => window.kubewireDebug!.labels());
  for (const pod of lab.pods) assert.ok(labels.some((l) => l.startsWith(`${pod.name}\n${pod.ip}\n`)), `pod ${pod.name} ${pod.ip} drawn`);
  for (const n of lab.nodes) {
    assert.ok(labels.includes(n.name), `node ${n.name} drawn`);
    assert.ok(labels.includes(`cni0\n${n.subnet}.1/24`));
    assert.ok(labels.includes(`flannel.1\n${n.subnet}.0/32`));
  }
  const listed = await page.locator('#namespace-list .ns-row').count();
  assert.equal(listed, 3 + lab.pods.length);
  await page.screenshot({ path: join(shots, 'topology.png') });
});

test('clicking a device shows its details', { skip }, async () => {
  const ok = await page.evaluate((id) => window.kubewireDebug!.tap(id), `dev:${lab.ns('node1')}/flannel.1`);
  assert.equal(ok, true);
  await page.locator('#details-body [data-section="fdb"] pre').waitFor({ timeout: 5000 });
  const fdb = await page.locator('#details-body [data-section="fdb"] pre').textContent();
  assert.match(fdb ?? '', /dst 10\.231\.209\.117/);
  const link = await page.locator('#details-body [data-section="link"] pre').textContent();
  assert.match(link ?? '', /vxlan id 1 local 10\.231\.209\.116 dev eth0 .*dstport 8472/);
  await page.screenshot({ path: join(shots, 'details-flannel.png') });
});

test('a terminal in a pod shows its IP in ip addr, and comes back after a reload', { skip }, async () => {
  const ns = podNs(0);
  const ip = lab.pods[0]!.ip;
  await page.locator(`#namespace-list [data-open-terminal="${ns}"]`).click();
  await page.locator('.terminal-pane:not([hidden]) .xterm-rows').waitFor({ timeout: 5000 });
  // The prompt shows which namespace the shell is in.
  await page.waitForFunction(anyTerminalHas, `[${lab.pods[0]!.k8sNamespace}/${lab.pods[0]!.name}]`, { timeout: 5000 });
  await page.keyboard.type('ip addr\n', { delay: 20 });
  await page.waitForFunction(anyTerminalHas, `inet ${ip}/24`, { timeout: 5000 });
  await page.screenshot({ path: join(shots, 'terminal-pod.png') });

  await page.reload();
  await page.waitForFunction(anyTerminalHas, `inet ${ip}/24`, { timeout: 8000 });
  assert.match(await terminalText(page), new RegExp(`inet ${ip.replace(/\./g, '\\.')}/24`));
  assert.equal(await page.locator('#terminal-tabs .tab').count(), 1);
  await page.screenshot({ path: join(shots, 'terminal-after-reload.png') });
});

test('the iptables view unfolds OUTPUT → KUBE-SERVICES → KUBE-SVC → KUBE-SEP → DNAT and its counters move', { skip }, async () => {
  const node = lab.ns('node1');
  const pod = lab.pods[0]!;
  // A kube-proxy-shaped service in this test's own node namespace: 192.168.199.65:80 → the pod.
  const rules = [
    '*nat',
    ':KUBE-SERVICES - [0:0]',
    ':KUBE-SVC-L65ENXXZWWSAPRCR - [0:0]',
    ':KUBE-SEP-AAAAAAAAAAAAAAAA - [0:0]',
    '-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A KUBE-SERVICES -d 192.168.199.65/32 -p tcp -m comment --comment "default/kubia: cluster IP" -m tcp --dport 80 -j KUBE-SVC-L65ENXXZWWSAPRCR',
    '-A KUBE-SVC-L65ENXXZWWSAPRCR -m comment --comment "default/kubia:" -j KUBE-SEP-AAAAAAAAAAAAAAAA',
    `-A KUBE-SEP-AAAAAAAAAAAAAAAA -p tcp -m comment --comment "default/kubia:" -m tcp -j DNAT --to-destination ${pod.ip}:8080`,
    'COMMIT',
    '',
  ].join('\n');
  execFileSync('ip', ['netns', 'exec', node, 'iptables-restore', '--noflush'], { input: rules });
  // The mini lab's nodes have no default route; without a route to the service IP, connect()
  // fails before any packet reaches the nat OUTPUT chain.
  execFileSync('ip', ['-n', node, 'route', 'add', '192.168.192.0/18', 'dev', 'cni0']);
  await page.locator('.view-tab[data-view="iptables"]').click();
  await page.locator('#iptables-namespace').selectOption(node);
  await page.locator('#iptables-tree [data-chain="OUTPUT"]').first().waitFor({ timeout: 5000 });
  // Traffic to the service IP from the node (nothing listens: the SYN is still DNATed).
  for (let i = 0; i < 3; i++) spawnSync('ip', ['netns', 'exec', node, 'curl', '-s', '-m', '0.3', 'http://192.168.199.65/'], { stdio: 'ignore' });
  await page.waitForFunction(() => [...document.querySelectorAll('#iptables-tree .ipt-rule.hit .ipt-target')].some((e) => e.textContent === 'KUBE-SERVICES'), undefined, { timeout: 5000 });
  await page.locator('#iptables-expand').click();
  const dnat = page.locator('#iptables-tree [data-chain="KUBE-SEP-AAAAAAAAAAAAAAAA"] .ipt-leaf .ipt-rule', { hasText: `--to-destination ${pod.ip}:8080` });
  await dnat.waitFor({ timeout: 5000 });
  assert.equal(await dnat.locator('.ipt-target').textContent(), 'DNAT');
  assert.ok(Number(await dnat.locator('.ipt-count').textContent()) >= 3);
  await page.screenshot({ path: join(shots, 'iptables.png') });
  await page.locator('.view-tab[data-view="topology"]').click();
});

test('another page cannot drive the server, and a page without the token is refused', { skip }, async () => {
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
        const r = await fetch(`http://127.0.0.1:${port}/api/call/terminal.open`, { method: 'POST', credentials: 'include', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: '{"namespace":"x","cols":80,"rows":24}' });
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
    assert.ok(serverLog.some((l) => l.includes('refused POST /api/call/terminal.open') && l.includes(`Origin 'http://127.0.0.1:${evilPort}'`)), serverLog.join('\n'));
    assert.ok(serverLog.some((l) => l.includes('refused WebSocket') && l.includes('Origin')));
    await attacker.close();
  } finally {
    await new Promise<void>((r) => evil.close(() => r()));
  }
  // The attacker opened no shell.
  assert.equal((await page.locator('#terminal-tabs .tab').count()), 1);
});
