// End to end on a lab built by the runtime's real `up` (two nodes with pods, the docker0 host,
// gateway and Internet): the page draws it from the kernel, a pod terminal enters the sandbox
// through its pause process, and resetting the lab closes the shell. Screenshots in
// test-output/screenshots/lab-*.png.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { TestLab, TWO_NODES } from '../integration/runtime/harness.js';
import { startUiApp } from '../../server/ui-app.js';
import type { RunningUiServer } from '../../server/ui-server.js';
import type { TopologyGraph } from '../../common/topology-model.js';
import { UiTestClient } from '../helpers/ui-client.js';

const root = process.env.KUBEWIRE_ROOT ?? process.cwd();
const shots = join(root, 'test-output', 'screenshots');
const skip = !existsSync('/usr/bin/chromium')
  ? 'Debian chromium is not installed (/usr/bin/chromium)'
  : process.getuid?.() !== 0
    ? 'needs root (namespaces)'
    : false;

interface PageElement {
  textContent: string | null;
}
declare const document: { querySelectorAll(s: string): Iterable<PageElement> };
declare const window: {
  kubewireDebug?: { labels(): string[]; tap(id: string): boolean; graph(): TopologyGraph | undefined };
};
const anyTerminalHas = (text: string): boolean =>
  [...document.querySelectorAll('.terminal-pane .xterm-rows')].some((e) => (e.textContent ?? '').includes(text));

let lab: TestLab;
let server: RunningUiServer;
let browser: Browser;
let page: Page;

before(async () => {
  // A missing tool fails every test of the file, loudly; nothing here passes by skipping.
  if (skip) throw new Error(skip);
  mkdirSync(shots, { recursive: true });
  lab = new TestLab(TWO_NODES);
  await lab.upWithPods();
  server = await startUiApp({ prefix: lab.prefix, staticDir: join(root, 'dist', 'renderer'), log: () => {} });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  page = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
});

after(async () => {
  await browser?.close();
  await server?.dispose();
  await lab?.cleanup();
});

test('the topology of a lab brought up by the runtime shows every node and pod with its IP and MAC', async () => {
  await page.goto(server.url);
  await page.waitForFunction(
    () => (window.kubewireDebug?.labels().filter((l) => /^(kubia-|tools)/.test(l)).length ?? 0) >= 3,
    undefined,
    { timeout: 15_000 },
  );
  const labels = await page.evaluate(() => window.kubewireDebug!.labels());
  assert.ok(
    labels.some((l) => l.startsWith('kubia-a\n192.168.128.10\n')),
    labels.join(' | '),
  );
  assert.ok(labels.includes('kubia-b\n192.168.132.73\n3e:43:3e:1f:48:a1'));
  assert.ok(labels.some((l) => l.startsWith('tools\n192.168.132.150\n')));
  for (const l of [
    'node1',
    'node5',
    'cni0\n192.168.128.1/24',
    'cni0\n192.168.132.1/24',
    'flannel.1\n192.168.132.0/32',
    'docker0\n172.17.0.1/16',
    'underlay',
    'gateway',
    'internet',
  ]) {
    assert.ok(labels.includes(l), `${JSON.stringify(l)} drawn`);
  }
  const graph = (await page.evaluate(() => window.kubewireDebug!.graph()))!;
  assert.ok(
    graph.edges.some(
      (e) =>
        e.kind === 'vxlan' &&
        e.source === `${lab.prefix}node1/flannel.1` &&
        e.target === `${lab.prefix}node5/flannel.1`,
    ),
  );
  await page.screenshot({ path: join(shots, 'lab-topology.png') });
});

test("a pod terminal enters the sandbox (pause's UTS namespace: the pod's hostname) and shows its IP", async () => {
  const podNs = lab.pod('kubia-b');
  await page.locator(`#namespace-list [data-open-terminal="${podNs}"]`).click();
  await page.waitForFunction(anyTerminalHas, '[default/kubia-b]', { timeout: 5000 });
  await page.keyboard.type('hostname; ip addr show eth0\n', { delay: 15 });
  await page.waitForFunction(anyTerminalHas, 'inet 192.168.132.73/24', { timeout: 5000 });
  const client = new UiTestClient(server.port, server.token);
  const terms = await client.mustCall('terminal.list', {});
  assert.equal(terms.length, 1);
  // The shell starts through lab-exec.sh (the lab's mark), then enters the pod's namespaces.
  assert.match(terms[0]!.command[0]!, /native-scripts\/lab-exec\.sh$/);
  assert.deepEqual(terms[0]!.command.slice(1, 10), [
    lab.prefix,
    'terminals',
    '--',
    'ip',
    'netns',
    'exec',
    podNs,
    'nsenter',
    '-t',
  ]);
  await page.waitForFunction(anyTerminalHas, '\nkubia-b', { timeout: 2000 }).catch(() => {});
  const text = await page.evaluate(() =>
    [...document.querySelectorAll('.terminal-pane .xterm-rows')].map((e) => e.textContent ?? '').join(''),
  );
  assert.match(text, /kubia-b\s*2: eth0@/, 'hostname printed before ip addr');
  await page.screenshot({ path: join(shots, 'lab-terminal.png') });
});

test('resetting the lab closes its shells and empties the topology', async () => {
  await lab.daemon?.stop();
  await lab.runtime.reset(lab.prefix);
  await page.waitForFunction(() => [...document.querySelectorAll('#terminal-tabs .tab')].length === 0, undefined, {
    timeout: 8000,
  });
  await page.waitForFunction(() => (window.kubewireDebug?.graph()?.namespaces.length ?? -1) === 0, undefined, {
    timeout: 8000,
  });
  await page.screenshot({ path: join(shots, 'lab-after-reset.png') });
});
