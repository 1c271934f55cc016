// The Cluster view in Chromium against a real apiserver started for this test: the pods table
// fills through watch, a row opens as YAML; a view tab clicked while the page still loads is not
// lost. Screenshot: test-output/screenshots/cluster.png.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startApiServer, type Harness } from '../integration/apiserver/harness.js';
import { startUiApp } from '../../server/ui-app.js';
import type { RunningUiServer } from '../../server/ui-server.js';
import { KubeClient } from '../../cluster/client/kube-client.js';
import { restConfigFromKubeconfig } from '../../server/cluster/kubeconfig-reader.js';

const root = process.env.KUBEWIRE_ROOT ?? process.cwd();
const shots = join(root, 'test-output', 'screenshots');
const skip = !existsSync('/usr/bin/chromium') ? 'Debian chromium is not installed (/usr/bin/chromium)' : false;

let api: Harness;
let ui: RunningUiServer;
let browser: Browser;
let page: Page;
declare const window: { kwTabClicked?: boolean };
declare const document: { addEventListener(type: string, l: (e: { target: unknown }) => void, capture: boolean): void };

before(async () => {
  // A missing tool fails every test of the file, loudly; nothing here passes by skipping.
  if (skip) throw new Error(skip);
  mkdirSync(shots, { recursive: true });
  api = await startApiServer({ memory: true });
  ui = await startUiApp({
    prefix: 'kw-tclus1-',
    staticDir: join(root, 'dist', 'renderer'),
    kubeconfig: api.kubeconfig,
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
  await api?.stop();
});

test('the Cluster view lists pods live and opens one as YAML', async () => {
  await page.goto(ui.url);
  await page.locator('.view-tab[data-view="cluster"]').click();
  await page.locator('#cluster-status', { hasText: 'watching' }).waitFor({ timeout: 30_000 });
  const kube = new KubeClient(restConfigFromKubeconfig(readFileSync(api.kubeconfig, 'utf8'), api.kubeconfig));
  for (const name of ['kubia-24hmb', 'kubia-7x9dq']) {
    await kube.pods.create(
      {
        metadata: { name, namespace: 'default', labels: { app: 'kubia' } },
        spec: { containers: [{ name: 'kubia', image: 'kubia', ports: [{ containerPort: 8080 }] }] },
      } as never,
      'default',
    );
  }
  const row = page.locator('#cluster-table tr[data-name="kubia-7x9dq"]');
  await row.waitFor({ timeout: 30_000 });
  assert.deepEqual(
    await row
      .locator('td')
      .allTextContents()
      .then((c) => [c[0], c[1], c[2], c[3]]),
    ['default', 'kubia-7x9dq', '0/1', 'Pending'],
  );
  await row.click();
  await page.locator('#cluster-yaml:not([hidden])').waitFor({ timeout: 5000 });
  assert.match((await page.locator('#cluster-yaml').textContent()) ?? '', /containerPort: 8080/);
  await page.screenshot({ path: join(shots, 'cluster.png') });
});

test('a view tab clicked while the page still loads its script opens that view (the page is inert until wired)', async () => {
  // page.goto(ui.url) resolves on the session page, which trades the URL token for the cookie and
  // then loads the app with a meta refresh: the app's buttons are on screen before main.js has given
  // them a handler. Here main.js is held back (as on a loaded machine, where the CI saw it) so the
  // click surely comes before it; before, the click did nothing and the view stayed hidden.
  const slow = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
  let released!: () => void;
  const held = new Promise<void>((resolve) => (released = resolve));
  let scriptAsked!: () => void;
  const asked = new Promise<void>((resolve) => (scriptAsked = resolve));
  await slow.route(/\/main\.js$/, async (route) => {
    scriptAsked();
    await held;
    await route.continue();
  });
  try {
    await slow.goto(ui.url);
    await asked;
    const tab = slow.locator('.view-tab[data-view="cluster"]');
    await tab.waitFor({ state: 'visible', timeout: 30_000 });
    // Notes a click that reaches the tab (the page's own script is not there yet to do anything).
    await slow.evaluate(() =>
      document.addEventListener(
        'click',
        (e) => {
          if ((e.target as { closest?(s: string): unknown }).closest?.('.view-tab')) window.kwTabClicked = true;
        },
        true,
      ),
    );
    const click = tab.click({ timeout: 60_000 });
    // The script stays held until the click has reached the tab, or for a bounded while when it
    // does not (an inert page makes the click wait for the script, which must then come).
    await slow.waitForFunction(() => window.kwTabClicked === true, undefined, { timeout: 3000 }).catch(() => {});
    released();
    await click;
    await slow.locator('#cluster-status', { hasText: 'watching' }).waitFor({ timeout: 30_000 });
    assert.equal(await slow.locator('.view-tab.active').getAttribute('data-view'), 'cluster');
  } finally {
    released();
    await slow.context().close();
  }
});
