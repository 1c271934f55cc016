// The Cluster view in Chromium against a real apiserver started for this test: the pods table
// fills through watch, a row opens as YAML. Screenshot: test-output/screenshots/cluster.png.
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
