// The path tracer through the real UI in Debian's Chromium: trace pod → pod across two nodes and
// see the article's three hops (confirmed by traceroute), highlighted on the topology; capture and
// download a pcap whose underlay packets are VXLAN (UDP 8472) around the ping. Screenshots go to
// test-output/screenshots/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { upWithCli } from '../helpers/cli-lab.js';
import { TWO_NODES, type TestLab } from '../integration/runtime/harness.js';
import { decodeEthernet, readPcap } from '../helpers/pcap.js';
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
let server: RunningUiServer;
let browser: Browser;
let page: Page;

before(async () => {
  // A missing tool fails every test of the file, loudly; nothing here passes by skipping.
  if (skip) throw new Error(skip);
  mkdirSync(shots, { recursive: true });
  // What `kubewire up` builds: node1 (10.231.209.113, kubia-a 192.168.128.10) and node5
  // (10.231.209.117, kubia-b 192.168.132.73), flannel VXLAN between them.
  lab = await upWithCli(TWO_NODES);
  server = await startUiApp({
    prefix: lab.prefix,
    stateBase: lab.stateBase,
    learnerStateFile: join(lab.stateBase, 'ui.json'),
    staticDir: join(root, 'dist', 'renderer'),
    log: () => {},
  });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  page = await (await browser.newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: true })).newPage();
});

after(async () => {
  await browser?.close();
  await server?.dispose();
  await lab?.cleanup();
});

declare const document: { body: { dataset: Record<string, string | undefined> } };

test('trace pod → pod across nodes in the UI: three hops, confirmed, drawn on the topology', async () => {
  await page.goto(server.url);
  await page.locator('#tab-path').click();
  const src = lab.pod('kubia-a');
  await page.waitForSelector(`#path-source option[value="${src}"]`, { state: 'attached', timeout: 10_000 });
  await page.selectOption('#path-source', src);
  await page.fill('#path-destination', '192.168.132.73');
  await page.click('#path-probe');
  await page.waitForSelector('.path-hop[data-ttl="3"]', { timeout: 20_000 });
  const hops = await page.$$eval('.path-hop', (els) =>
    els.map((e) => [e.getAttribute('data-ttl'), e.getAttribute('data-address'), e.getAttribute('data-confirmed')]),
  );
  assert.deepEqual(hops, [
    ['1', '192.168.128.1', 'true'],
    ['2', '192.168.132.0', 'true'],
    ['3', '192.168.132.73', 'true'],
  ]);
  assert.equal(await page.getAttribute('.path-outcome', 'data-outcome'), 'delivered');
  assert.match(
    (await page.textContent('.path-hop[data-ttl="2"]')) ?? '',
    /VXLAN flannel\.1 VNI 1: outer 10\.231\.209\.113 → 10\.231\.209\.117 UDP 8472/,
  );
  const marked = Number(await page.evaluate(() => document.body.dataset.pathMarked ?? '0'));
  assert.ok(marked >= 8, `devices and lines marked on the topology: ${marked}`);
  await page.locator('#tab-topology').click();
  await page.screenshot({ path: join(shots, 'path-trace-pod-to-pod.png') });
  await page.locator('#tab-path').click();
});

test('capture in the UI and download the underlay pcap: VXLAN UDP 8472 around the ICMP probe', async () => {
  await page.click('#path-capture');
  const link = page.locator('.path-file a[data-role^="underlay: eth0"]');
  await link.waitFor({ timeout: 20_000 });
  await page.screenshot({ path: join(shots, 'path-capture.png') });
  const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
  assert.match(download.suggestedFilename(), /^\d\d-node1-eth0\.pcap$/);
  const file = await download.path();
  const packets = readPcap(readFileSync(file)).packets.map(decodeEthernet);
  assert.ok(packets.length >= 2, `${packets.length} packets`);
  const req = packets.find((p) => p?.vxlan?.inner?.icmpType === 8);
  assert.ok(
    req && req.dport === 8472 && req.src === '10.231.209.113' && req.dst === '10.231.209.117',
    JSON.stringify(packets[0]),
  );
  assert.deepEqual(
    [req.vxlan!.vni, req.vxlan!.inner!.src, req.vxlan!.inner!.dst],
    [1, '192.168.128.10', '192.168.132.73'],
  );
});
