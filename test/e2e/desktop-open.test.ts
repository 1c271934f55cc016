// `kubewire desktop`'s browser path in Debian's Chromium: the browser is given only the private
// open file; it reaches the UI with the session cookie, and the file is deleted once used.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { startUiApp } from '../../server/ui-app.js';
import type { RunningUiServer } from '../../server/ui-server.js';
import { writeBrowserOpenFile } from '../../cli/commands/browser-open-file.js';
import { browserOpenArgs } from '../../cli/commands/desktop.js';

const root = process.env.KUBEWIRE_ROOT ?? process.cwd();
let server: RunningUiServer;
let browser: Browser;

before(async () => {
  server = await startUiApp({ prefix: 'kw-hsafetyopen-', staticDir: join(root, 'dist', 'renderer'), log: () => {} });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
});

after(async () => {
  await browser?.close();
  await server?.dispose();
});

test('the browser opens the private file and lands on the UI with its cookie; the file is then removed', async () => {
  const f = writeBrowserOpenFile(server.url);
  after(() => f.remove()); // also when an assertion below fails: no token file left in /tmp
  const [fileUrl] = browserOpenArgs(f);
  assert.ok(!fileUrl!.includes(server.token));
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(fileUrl!);
  await page.waitForURL(`http://127.0.0.1:${server.port}/`, { timeout: 15_000 });
  await page.waitForSelector('#app, body', { timeout: 15_000 });
  assert.equal(await page.title(), 'kubewire');
  const cookies = await context.cookies(`http://127.0.0.1:${server.port}/`);
  assert.ok(cookies.some((c) => c.name === `kubewire_session_${server.port}` && c.value === server.token));
  // The page's own calls work with that cookie (the UI is served, not the 401 body).
  assert.doesNotMatch(await page.content(), /no session token/);
  await server.sessionStarted;
  f.remove(); // what desktop does on sessionStarted
  assert.equal(existsSync(f.path), false);
  await context.close();
});
