// The desktop shell's security settings, preload surface and navigation decisions (DESIGN.md
// safety invariant 4), checked without the Electron binary.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { windowOptions } from '../../../electron/window-options.js';
import {
  appOriginOf,
  decideNavigation,
  decideWindowOpen,
  isExternalWebUrl,
} from '../../../electron/navigation-guard.js';
import {
  createDesktopApi,
  DESKTOP_API_MEMBERS,
  IPC_CHANNELS,
  isIpcChannel,
  parseIpcArgs,
} from '../../../electron/preload-api.js';
import { createIpcHandlers, senderIsApp } from '../../../electron/ipc-main.js';

const root = process.env.KUBEWIRE_ROOT ?? process.cwd();
const APP = 'http://127.0.0.1:4242';

test('the window is sandboxed, isolated, without Node, with web security on', () => {
  const o = windowOptions({ preloadPath: '/x/preload.cjs', devTools: false });
  assert.deepEqual(o.webPreferences, {
    preload: '/x/preload.cjs',
    contextIsolation: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    sandbox: true,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    experimentalFeatures: false,
    navigateOnDragDrop: false,
    safeDialogs: true,
    spellcheck: false,
    devTools: false,
  });
  assert.equal(o.show, false);
});

test('the preload exposes exactly info and openExternal, over the allowed channels only', async () => {
  const calls: [string, unknown[]][] = [];
  const api = createDesktopApi(async (channel, ...args) => {
    calls.push([channel, args]);
    return channel === 'app:info' ? { version: '1', electron: '39', platform: 'linux' } : true;
  });
  assert.deepEqual(Object.keys(api).sort(), [...DESKTOP_API_MEMBERS].sort());
  assert.deepEqual(Object.keys(api).sort(), ['info', 'openExternal']);
  assert.ok(Object.isFrozen(api));
  assert.deepEqual(await api.info(), { version: '1', electron: '39', platform: 'linux' });
  assert.equal(await api.openExternal('https://kubernetes.io/'), true);
  await assert.rejects(api.openExternal(42 as unknown as string), /url must be a string/);
  assert.deepEqual(calls, [
    ['app:info', []],
    ['shell:open-external', ['https://kubernetes.io/']],
  ]);
  assert.deepEqual([...IPC_CHANNELS], ['app:info', 'shell:open-external']);
  for (const bad of ['app:quit', 'ipc:send', '', 42, undefined]) assert.equal(isIpcChannel(bad), false);
});

test('the bundled preload uses only contextBridge and the allow-listed invoke', () => {
  const bundle = readFileSync(join(root, 'dist', 'electron', 'preload.cjs'), 'utf8');
  assert.match(bundle, /exposeInMainWorld\(\s*"kubewire"/);
  assert.doesNotMatch(bundle, /ipcRenderer\.(send|on|sendSync)\b/);
  assert.doesNotMatch(bundle, /require\("(fs|child_process|node:fs|node:child_process)"\)/);
});

test('main re-checks channel, sender and arguments', async () => {
  const opened: string[] = [];
  const h = createIpcHandlers({
    appOrigin: APP,
    info: () => ({ version: '1', electron: '39', platform: 'linux' }),
    openExternal: async (u) => void opened.push(u),
  });
  assert.equal(await h['shell:open-external'](`${APP}/`, ['https://example.com/docs']), true);
  assert.equal(await h['shell:open-external'](`${APP}/`, ['file:///etc/passwd']), false);
  assert.equal(await h['shell:open-external'](`${APP}/`, [`${APP}/?token=x`]), false);
  await assert.rejects(
    h['shell:open-external']('https://evil.example/', ['https://example.com/']),
    /refused a call from https:\/\/evil.example/,
  );
  await assert.rejects(h['shell:open-external'](undefined, ['https://example.com/']), /refused/);
  await assert.rejects(h['shell:open-external'](`${APP}/`, [1, 2]), /one URL string/);
  await assert.rejects(h['app:info'](`${APP}/`, ['x']), /no arguments/);
  assert.throws(() => parseIpcArgs('nope' as 'app:info', []), /not allowed/);
  assert.deepEqual(opened, ['https://example.com/docs']);
  assert.equal(senderIsApp('http://127.0.0.1:4243/', APP), false);
});

test('navigation stays on the app origin; new windows never open inside the app', () => {
  assert.equal(appOriginOf(`${APP}/?token=abc`), APP);
  assert.throws(() => appOriginOf('http://0.0.0.0:4242/'), /127\.0\.0\.1/);
  assert.throws(() => appOriginOf('https://127.0.0.1:4242/'), /127\.0\.0\.1/);
  assert.deepEqual(decideNavigation(`${APP}/`, APP), { action: 'allow' });
  for (const url of [
    'https://evil.example/',
    'http://127.0.0.1:4243/',
    'http://localhost:4242/',
    'file:///etc/passwd',
    'javascript:alert(1)',
    'not a url',
  ]) {
    assert.equal(decideNavigation(url, APP).action, 'deny', url);
  }
  assert.deepEqual(decideWindowOpen('https://kubernetes.io/docs', APP), {
    action: 'deny',
    openExternally: true,
    reason: 'web link: system browser',
  });
  assert.equal((decideWindowOpen(`${APP}/other`, APP) as { openExternally: boolean }).openExternally, false);
  assert.equal((decideWindowOpen('file:///etc/passwd', APP) as { openExternally: boolean }).openExternally, false);
  assert.equal((decideWindowOpen('mailto:x@y', APP) as { openExternally: boolean }).openExternally, false);
  assert.equal(isExternalWebUrl('https://a.b/' + 'x'.repeat(3000)), false);
});
