// The lab guide in Chromium: start the first guided lab (veth-by-hand: reset, then the article's
// topology up with this test's prefix and state folder), send step 1's commands to the node5
// terminal with its Run button, and see its check pass. Screenshot: test-output/screenshots/guide.png.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { chromium, type Browser, type Page } from 'playwright-core';
import { testPrefix } from '../helpers/mini-lab.js';
import { startUiApp } from '../../server/ui-app.js';
import type { RunningUiServer } from '../../server/ui-server.js';

const root = process.env.KUBEWIRE_ROOT ?? process.cwd();
const shots = join(root, 'test-output', 'screenshots');
const skip = !existsSync('/usr/bin/chromium') ? 'Debian chromium is not installed (/usr/bin/chromium)' : process.getuid?.() !== 0 ? 'needs root (namespaces)' : false;

interface PageElement {
  textContent: string | null;
}
declare const document: { querySelectorAll(s: string): Iterable<PageElement> };
const anyTerminalHas = (text: string): boolean => [...document.querySelectorAll('.terminal-pane .xterm-rows')].some((e) => (e.textContent ?? '').includes(text));

const prefix = testPrefix();
const stateBase = mkdtempSync(join(tmpdir(), 'kubewire-guide-test-'));
let ui: RunningUiServer;
let browser: Browser;
let page: Page;
let containerPid: number | undefined;

before(async () => {
  if (skip) return;
  mkdirSync(shots, { recursive: true });
  ui = await startUiApp({ prefix, stateBase, staticDir: join(root, 'dist', 'renderer'), log: () => {} });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  page = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
});

after(async () => {
  if (containerPid) {
    try {
      process.kill(containerPid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await browser?.close();
  await ui?.dispose();
  if (!skip) execFileSync(process.execPath, [join(root, 'dist', 'cli', 'main.js'), 'reset', '--lab', 'article', '--prefix', prefix, '--state-dir', stateBase], { stdio: 'ignore' });
  rmSync(stateBase, { recursive: true, force: true });
});

test('start the veth-by-hand lab, run step 1 in the node5 terminal, and its check passes', { skip, timeout: 300_000 }, async () => {
  await page.goto(ui.url);
  await page.locator('#guide-lab option[value="veth-by-hand"]').waitFor({ state: 'attached', timeout: 5000 });
  await page.locator('#guide-lab').selectOption('veth-by-hand');
  await page.locator('#guide-start').click();
  await page.locator('.guide-status', { hasText: 'ready in' }).waitFor({ timeout: 240_000 });
  const step1 = page.locator('.guide-step[data-step="1"]');
  await step1.locator('summary').first().click();
  await step1.locator('[data-check="1"]').click();
  await step1.locator('.guide-result.fail').waitFor({ timeout: 30_000 });
  await step1.locator('[data-run="node5"]').click();
  // Output of step 1's `nsenter … ip addr` (lo's flags depend on whether unshare won the race).
  await page.waitForFunction(anyTerminalHas, '1: lo: <LOOPBACK', { timeout: 15_000 }).catch(async (err: unknown) => {
    await page.screenshot({ path: join(shots, 'guide-failed.png') });
    throw err;
  });
  await page.keyboard.type('echo "CPID=$CPID CONTAINER=$CONTAINER"\n', { delay: 10 });
  await page.waitForFunction(anyTerminalHas, `CONTAINER=${prefix}demo`, { timeout: 5000 });
  const text = await page.evaluate(() => [...document.querySelectorAll('.terminal-pane .xterm-rows')].map((e) => e.textContent ?? '').join(''));
  containerPid = Number(/CPID=(\d+)/.exec(text)?.[1]) || undefined;
  assert.ok(containerPid, 'the terminal has $CPID');
  await step1.locator('[data-check="1"]').click();
  await step1.locator('.guide-result.pass').waitFor({ timeout: 30_000 });
  await page.screenshot({ path: join(shots, 'guide.png') });
});

test('Replay brings the lab up fresh and passes every step', { skip, timeout: 400_000 }, async () => {
  await page.locator('#guide-replay').click();
  await page.locator('.guide-status', { hasText: /replayed \d+ steps|replay stopped/ }).waitFor({ timeout: 380_000 });
  const status = await page.locator('.guide-status').textContent();
  const failures = await page.locator('.guide-result.fail').allTextContents();
  assert.match(status ?? '', /^replayed \d+ steps$/, failures.join(' | '));
  assert.equal(await page.locator('.guide-result.pass').count(), await page.locator('.guide-step').count());
  await page.screenshot({ path: join(shots, 'guide-replay.png') });
});
