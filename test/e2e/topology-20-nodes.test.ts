// The graph at size, on a lab `kubewire up` builds (20 nodes × 10 pods, this test's prefix and
// state folder): fitted in the lab screen's graph area, node names and each node's pod cluster are
// drawn at a readable size (≥ 11 px on screen), a cluster opens into its pods, a dragged layout is
// kept across a reload, and the graph exports as SVG. Screenshots: test-output/screenshots/topology-20-*.png.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { upWithCli, waitForTopologyPods } from '../helpers/cli-lab.js';
import { gridTopology } from '../helpers/grid-topology.js';
import type { TestLab } from '../integration/runtime/harness.js';
import { startUiApp } from '../../server/ui-app.js';
import type { RunningUiServer } from '../../server/ui-server.js';

const root = process.env.KUBEWIRE_ROOT ?? process.cwd();
const shots = join(root, 'test-output', 'screenshots');
const skip = !existsSync('/usr/bin/chromium')
  ? 'Debian chromium is not installed (/usr/bin/chromium)'
  : process.getuid?.() !== 0
    ? 'needs root (namespaces)'
    : false;

interface FontSize {
  label: string;
  px: number;
  visible: boolean;
}
interface Where {
  model: { x: number; y: number };
  screen: { x: number; y: number };
}
declare const window: {
  kubewireDebug?: {
    labels(): string[];
    fontSizes(): FontSize[];
    svg(): string;
    position(id: string): Where | undefined;
  };
};
declare const document: { body: { dataset: Record<string, string | undefined> } };

let lab: TestLab;
let prefix: string;
let ui: RunningUiServer;
let browser: Browser;
let page: Page;

before(async () => {
  // A missing tool fails every test of the file, loudly; nothing here passes by skipping.
  if (skip) throw new Error(skip);
  mkdirSync(shots, { recursive: true });
  lab = await upWithCli(gridTopology(20, 10), 600_000);
  prefix = lab.prefix;
  ui = await startUiApp({
    prefix,
    stateBase: lab.stateBase,
    learnerStateFile: join(lab.stateBase, 'ui.json'),
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
  // The CLI's reset, then a sweep of the prefix (also when the reset failed), then the state folder.
  await lab?.cleanup(600_000);
});

test(
  '20 nodes × 10 pods fitted: node names and pod clusters are readable, devices shown by name',
  { timeout: 720_000 },
  async () => {
    // The kubelets start 200 real containers after `up` (72 s alone on 2 cores; several times that
    // while another test file's lab runs beside this one): first wait for them through the lab's
    // state, which names the pods still missing, then for the graph to draw what is there.
    await waitForTopologyPods(lab, 540_000);
    await page.goto(ui.url);
    // Every node's pods are one cluster: a pod still being wired is drawn on its own for a moment.
    // The clusters hold the 200 pods and the cluster's own (CoreDNS and the like, on whichever
    // node the scheduler picked): at least 200, none of the test's drawn alone.
    await page
      .waitForFunction(
        () => {
          const labels = window.kubewireDebug?.labels() ?? [];
          const clusters = labels.filter((l) => /^\d+ pods\n/.test(l));
          const pods = clusters.reduce((n, l) => n + Number(/^(\d+) pods/.exec(l)![1]), 0);
          return clusters.length === 20 && pods >= 200 && !labels.some((l) => l.startsWith('bench-'));
        },
        undefined,
        { timeout: 120_000 },
      )
      .catch(async (err: Error) => {
        // Say what the graph drew instead: the clusters and any pod drawn on its own.
        const labels = await page.evaluate(() => window.kubewireDebug?.labels() ?? []).catch(() => []);
        const clusters = labels.filter((l) => /^\d+ pods\n/.test(l)).map((l) => l.replace(/\n/g, ' '));
        const alone = labels.filter((l) => l.startsWith('bench-'));
        throw new Error(
          `${err.message}; the graph drew ${clusters.length} clusters [${clusters.join('; ')}] and ${alone.length} pods alone [${alone.slice(0, 10).join(', ')}]`,
        );
      });
    await page.waitForTimeout(500);
    await page.screenshot({ path: join(shots, 'topology-20-fitted.png') });
    const sizes = await page.evaluate(() => window.kubewireDebug!.fontSizes());
    const nodes = sizes.filter((s) => /^node\d+$/.test(s.label));
    const clusters = sizes.filter((s) => /^\d+ pods\n/.test(s.label));
    assert.equal(clusters.length, 20);
    assert.equal(nodes.length, 20);
    for (const s of [...nodes, ...clusters])
      assert.ok(s.visible && s.px >= 11, `${JSON.stringify(s.label)} drawn at ${s.px.toFixed(1)} px`);
    // Every pod is still there to find: 200 pod namespaces are in the model behind the clusters.
    assert.equal(
      await page.evaluate(() => window.kubewireDebug!.labels().filter((l) => l.startsWith('bench-')).length),
      0,
    );
  },
);

test(
  'a cluster opens into its pods by keyboard (Find, then Enter); zoomed in, device labels show in full',
  { timeout: 60_000 },
  async () => {
    await page.locator('#device-find').fill(`eth0 in ${prefix}default_bench-5-3`);
    await page.locator('#device-find').press('Enter');
    await page.locator('#device-find').dispatchEvent('change');
    await page.waitForFunction(
      () => window.kubewireDebug!.labels().filter((l) => l.startsWith('bench-5-')).length === 10,
      undefined,
      { timeout: 10_000 },
    );
    await page.waitForTimeout(600);
    await page.screenshot({ path: join(shots, 'topology-20-node5-open.png') });
    const sizes = await page.evaluate(() => window.kubewireDebug!.fontSizes());
    const pod = sizes.find((s) => s.label.startsWith('bench-5-3\n'));
    assert.ok(pod && pod.visible && pod.px >= 9, JSON.stringify(pod));
  },
);

test(
  'a shape dragged elsewhere stays there after a reload (the layout is saved per lab)',
  { timeout: 60_000 },
  async () => {
    await page.locator('#fit-topology').click();
    await page.waitForTimeout(400);
    const id = `ns:${prefix}internet`;
    const before = (await page.evaluate((i) => window.kubewireDebug!.position(i), id))!;
    await page.mouse.move(before.screen.x, before.screen.y);
    await page.mouse.down();
    await page.mouse.move(before.screen.x + 60, before.screen.y + 40, { steps: 8 });
    await page.mouse.up();
    const moved = (await page.evaluate((i) => window.kubewireDebug!.position(i), id))!;
    assert.ok(Math.abs(moved.model.x - before.model.x) > 20, `dragged: ${JSON.stringify([before.model, moved.model])}`);
    // The save is debounced, then acknowledged by the server: reload only after that.
    // (A function, not a string: the page's CSP forbids eval.)
    await page.waitForFunction(() => Number(document.body.dataset.layoutSaves ?? '0') >= 1, undefined, {
      timeout: 30_000,
    });
    await page.reload();
    // After the reload the graph is drawn first from the computed layout, then again once the
    // learner's saved layout has been read: wait for the shape to come back to where it was dropped.
    const back = await page
      .waitForFunction(
        ([i, m]) => {
          const p = window.kubewireDebug?.position(i);
          return !!p && Math.abs(p.model.x - m.x) < 1 && Math.abs(p.model.y - m.y) < 1;
        },
        [id, moved.model] as const,
        { timeout: 60_000 },
      )
      .then(
        () => true,
        () => false,
      );
    const after = await page.evaluate((i) => window.kubewireDebug!.position(i), id);
    assert.ok(back, `dropped at ${JSON.stringify(moved.model)}, after the reload at ${JSON.stringify(after?.model)}`);
    await page.screenshot({ path: join(shots, 'topology-20-dragged.png') });
  },
);

test('the SVG export holds every drawn shape with its name', { timeout: 30_000 }, async () => {
  const svg = await page.evaluate(() => window.kubewireDebug!.svg());
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  for (const name of ['node1', 'node20', '10 pods', 'flannel.1', 'underlay'])
    assert.ok(svg.includes(`>${name}<`) || svg.includes(`>${name}`), name);
});
