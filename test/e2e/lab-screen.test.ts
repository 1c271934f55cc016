// The lab screen in Chromium, on a lab that `kubewire up` builds (started from the guide, with this
// test's prefix and state folder): walk the whole veth-by-hand lab — start with its progress bar,
// run a step's commands in the terminal the step opened, checks that pass by themselves, a hint,
// a manual check, solve after a confirmation — then reload (progress kept, server-side, 0600),
// a "show me" link, the light theme, "start over", and Replay. A screenshot of each state goes to
// test-output/screenshots/lab-screen-*.png.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { chromium, type Browser, type Page } from 'playwright-core';
import { testPrefix } from '../helpers/cli-lab.js';
import { startUiApp } from '../../server/ui-app.js';
import type { RunningUiServer } from '../../server/ui-server.js';

const root = process.env.KUBEWIRE_ROOT ?? process.cwd();
const shots = join(root, 'test-output', 'screenshots');
const skip = !existsSync('/usr/bin/chromium')
  ? 'Debian chromium is not installed (/usr/bin/chromium)'
  : process.getuid?.() !== 0
    ? 'needs root (namespaces)'
    : false;

declare const document: {
  activeElement: { closest(s: string): unknown } | null;
};
interface TerminalText {
  namespace: string;
  id: string;
  text: string;
}
declare const window: {
  kubewireDebug?: { activeTerminal(): string | undefined; terminalTexts(): TerminalText[] };
};
// A terminal's whole buffer, not its visible rows: a command's first lines may have scrolled off
// (step 1's `ip addr` can list a node's nine interfaces when it runs before unshare is done).
const anyTerminalHas = (text: string): boolean =>
  (window.kubewireDebug?.terminalTexts() ?? []).some((t) => t.text.includes(text));

/** Waits for a terminal to hold text; on timeout the error carries what each terminal holds. */
async function waitTerminalText(text: string, timeout: number): Promise<void> {
  try {
    await page.waitForFunction(anyTerminalHas, text, { timeout });
  } catch (err) {
    await shot('terminal-text-missing').catch(() => undefined);
    const held = await page
      .evaluate(() => (window.kubewireDebug?.terminalTexts() ?? []).map((t) => ({ ...t, text: t.text.slice(-800) })))
      .catch((e: unknown) => String(e));
    throw new Error(`no terminal holds ${JSON.stringify(text)}: ${JSON.stringify(held)}`, { cause: err });
  }
}

// The guide runs `kubewire up`, whose cluster would otherwise take port 6443 (another lab's).
process.env.KUBEWIRE_APISERVER_PORT = '0';
const prefix = testPrefix();
const stateBase = mkdtempSync(join(tmpdir(), 'kubewire-lab-screen-'));
const learnerFile = join(stateBase, 'ui', 'learner.json');
let ui: RunningUiServer;
let browser: Browser;
let page: Page;
let n = 0;
// A screenshot is a record for people, not a check: a capture Chromium refuses (seen once in CI right
// after a navigation: "Protocol error (Page.captureScreenshot): Unable to capture screenshot") is
// tried again, then reported on stderr; it never fails the step it illustrates.
const shot = async (name: string): Promise<void> => {
  const path = join(shots, `lab-screen-${String(++n).padStart(2, '0')}-${name}.png`);
  for (let attempt = 1; ; attempt++) {
    try {
      await page.screenshot({ path });
      return;
    } catch (err) {
      if (attempt === 3) {
        console.error(`screenshot ${name} not taken: ${String(err)}`);
        return;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
};

before(async () => {
  // A missing tool fails every test of the file, loudly; nothing here passes by skipping.
  if (skip) throw new Error(skip);
  mkdirSync(shots, { recursive: true });
  ui = await startUiApp({
    prefix,
    stateBase,
    learnerStateFile: learnerFile,
    staticDir: join(root, 'dist', 'renderer'),
    log: () => {},
  });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  page = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
});

after(async () => {
  await browser?.close();
  await ui?.dispose();
  if (!skip) {
    // The "container" the steps made: its processes (found through its namespace name), then the lab.
    execFileSync(
      'bash',
      ['-c', 'for p in $(ip netns pids "$1" 2>/dev/null); do kill -9 "$p"; done; true', '_', `${prefix}demo`],
      { stdio: 'ignore' },
    );
    execFileSync(
      process.execPath,
      [join(root, 'dist', 'cli', 'main.js'), 'reset', '--lab', 'article', '--prefix', prefix, '--state-dir', stateBase],
      { stdio: 'ignore' },
    );
  }
  rmSync(stateBase, { recursive: true, force: true });
});

const step = (k: number) => page.locator(`.step[data-step="${k}"]`);

test(
  'open the lab, start it: a progress bar names the phases, the graph waits, buttons say why they are off',
  { timeout: 300_000 },
  async () => {
    // Under load the server answers polls late. Here every activity poll reaches the page 1.5 s
    // late, so polls sent while the lab starts arrive after the start has finished: the page must
    // not take them for news (the lab busy again, its "ready" status wiped).
    await page.route('**/api/call/guide.activity', async (route) => {
      try {
        const response = await route.fetch();
        await new Promise((r) => setTimeout(r, 1500));
        await route.fulfill({ response });
      } catch {
        // The server went away (the file's after() closed it) with a poll in flight: drop the poll.
        await route.abort().catch(() => {});
      }
    });
    await page.goto(ui.url);
    await shot('overview');
    await page.locator('.lab-card[data-lab="veth-by-hand"]').click();
    await page.locator('#guide-pane .step').first().waitFor();
    // Before the lab exists, Run and Check cannot work, and say so.
    const run1 = step(1).locator('[data-run="node5"]');
    assert.equal(await run1.isDisabled(), true);
    assert.match((await page.locator('#guide-why').textContent()) ?? '', /not running/);
    await shot('lab-screen-before-start');
    await page.locator('#guide-start').click();
    // Honest waiting: the bar shows a phase of `kubewire up` by name, the graph is marked as building.
    await page
      .locator('#activity-text')
      .filter({
        hasText: /creating namespaces|wiring the underlay|node networks|starting pods|removing the previous lab/,
      })
      .waitFor({ timeout: 60_000 });
    assert.equal(await page.locator('#cy-wrap.building').count(), 1);
    assert.equal(await step(1).locator('[data-check="1"]').isDisabled(), true);
    await shot('starting-progress');
    await page.locator('.guide-status', { hasText: 'ready in' }).waitFor({ timeout: 240_000 });
    assert.equal(await page.locator('#cy-wrap.building').count(), 0);
    assert.equal(await run1.isDisabled(), false);
    await shot('ready');
  },
);

test(
  'step 1: its terminal opens for it, Run types the commands, the quiet re-check marks it done and moves on',
  { timeout: 120_000 },
  async () => {
    // The step needs node5: its shell was opened (and focused) by the lab screen.
    await page.locator('.terminal-pane').first().waitFor({ timeout: 15_000 });
    assert.ok(await page.evaluate(() => !!window.kubewireDebug!.activeTerminal()));
    assert.ok(
      await page.evaluate(() => !!document.activeElement?.closest('.terminal-pane')),
      'the terminal has the keyboard focus',
    );
    await step(1).locator('[data-run="node5"]').click();
    await waitTerminalText('1: lo: <LOOPBACK', 60_000);
    // Nobody pressed Check: the loop did.
    await page.locator('.step.done[data-step="1"]').waitFor({ timeout: 30_000 });
    await page.locator('.step.current.open[data-step="2"]').waitFor({ timeout: 5000 });
    await shot('step1-done-by-recheck');
  },
);

test(
  'step 2: hint on request, a manual check fails with feedback, solve asks first, then passes',
  { timeout: 120_000 },
  async () => {
    const s2 = step(2);
    assert.equal(await s2.locator('.guide-hint').isHidden(), true);
    await s2.locator('[data-hint-button="2"]').click();
    await s2.locator('.guide-hint').waitFor({ state: 'visible' });
    await shot('step2-hint');
    await s2.locator('[data-check="2"]').click();
    await s2.locator('.guide-result.fail').waitFor({ timeout: 30_000 });
    await shot('step2-check-fails');
    await s2.locator('[data-solve="2"]').click();
    await page.locator('dialog#confirm[open]').waitFor();
    await shot('step2-solve-confirm');
    // Cancel does nothing; confirm solves.
    await page.locator('#confirm-cancel').click();
    assert.equal(await page.locator('.step.done[data-step="2"]').count(), 0);
    await s2.locator('[data-solve="2"]').click();
    await page.locator('#confirm-ok').click();
    await page.locator('.step.done[data-step="2"]').waitFor({ timeout: 60_000 });
    await shot('step2-solved');
  },
);

test(
  'progress survives a reload: the lab screen comes back with its done steps, from a 0600 file',
  { timeout: 60_000 },
  async () => {
    await page.reload();
    await page.locator('.step.done[data-step="2"]').waitFor({ timeout: 15_000 });
    assert.equal(await page.locator('.step.done').count(), 2);
    assert.equal(await page.locator('.step.current.open[data-step="3"]').count(), 1);
    assert.equal(statSync(learnerFile).mode & 0o777, 0o600);
    await shot('after-reload');
  },
);

test(
  'the remaining steps by solve, with a "show me" link that zooms the graph and one that opens a chain',
  { timeout: 300_000 },
  async () => {
    const total = await page.locator('.step').count();
    assert.ok(total >= 7, `veth-by-hand shows ${total} steps`);
    for (let k = 3; k <= total; k++) {
      await step(k).locator(`[data-solve="${k}"]`).click();
      await page.locator('#confirm-ok').click();
      await page.locator(`.step.done[data-step="${k}"]`).waitFor({ timeout: 90_000 });
      if (k === 3) {
        await step(4).locator('.step-head').focus();
        await page.locator('.step[data-step="3"] .step-head').click();
        await step(3).locator('.show-me').last().click();
        await page.waitForTimeout(600);
        await shot('show-me-veth');
        await page.locator('.step[data-step="3"] .step-head').click();
      }
    }
    assert.equal(await page.locator('.step.done').count(), total);
    assert.match((await page.locator('#guide-count').textContent()) ?? '', new RegExp(`${total} of ${total} done`));
    // Step 7's "show me" opens the chain it talks about.
    if ((await page.locator('.step.open[data-step="7"]').count()) === 0)
      await page.locator('.step[data-step="7"] .step-head').click();
    await step(7).locator('.show-me').click();
    await page.locator('#view-iptables details.aimed[data-chain="POSTROUTING"]').waitFor({ timeout: 30_000 });
    await shot('show-me-chain');
    await page.locator('#tab-topology').click();
    await shot('all-done');
  },
);

test(
  'keyboard and screen readers: focus is visible, every button has a spoken name; the light theme by keyboard',
  { timeout: 30_000 },
  async () => {
    // Icon-like buttons (>_, ×, ↗) need a name of words; an empty one is a bug.
    const unnamed = await page.evaluate(() =>
      [
        ...(
          document as unknown as {
            querySelectorAll(
              s: string,
            ): Iterable<{ getAttribute(a: string): string | null; textContent: string | null; outerHTML: string }>;
          }
        ).querySelectorAll('button'),
      ]
        .filter((b) => !/[A-Za-z]{2}/.test(b.getAttribute('aria-label') ?? b.textContent ?? ''))
        .map((b) => b.outerHTML.slice(0, 120)),
    );
    assert.deepEqual(unnamed, []);
    // Tab moves focus from the theme button to the next control, and the ring shows.
    await page.locator('#theme-toggle').focus();
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Tab');
    const outline = await page.evaluate(() => {
      const el = (document as unknown as { activeElement: { id: string } | null }).activeElement;
      const st = (
        globalThis as unknown as { getComputedStyle(e: unknown): { outlineStyle: string; outlineWidth: string } }
      ).getComputedStyle(el);
      return { id: el?.id, style: st.outlineStyle, width: st.outlineWidth };
    });
    assert.deepEqual(outline, { id: 'theme-toggle', style: 'solid', width: '2px' });
    await page.keyboard.press('Enter');
    await page.waitForFunction(
      () => (document as unknown as { body: { dataset: { theme?: string } } }).body.dataset.theme === 'light',
    );
    await shot('light-theme');
    await page.keyboard.press('Enter');
  },
);

test(
  'start over forgets the marks and rebuilds the lab; Replay then passes every step',
  { timeout: 500_000 },
  async () => {
    await page.locator('#guide-start-over').click();
    await page.locator('#confirm-ok').click();
    await page.locator('.guide-status', { hasText: 'ready in' }).waitFor({ timeout: 240_000 });
    assert.equal(await page.locator('.step.done').count(), 0);
    await page.locator('#guide-replay').click();
    await page.locator('#confirm-ok').click();
    await page
      .locator('#activity-text')
      .filter({ hasText: /Replaying/ })
      .waitFor({ timeout: 30_000 });
    await page.locator('.guide-status', { hasText: /replayed \d+ steps|replay stopped/ }).waitFor({ timeout: 400_000 });
    const failures = await page.locator('.guide-result.fail').allTextContents();
    const total = await page.locator('.step').count();
    assert.match(
      (await page.locator('.guide-status').textContent()) ?? '',
      new RegExp(`^replayed ${total} steps$`),
      failures.join(' | '),
    );
    assert.equal(await page.locator('.step.done').count(), total);
    await shot('replayed');
  },
);
