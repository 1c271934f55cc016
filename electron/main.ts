// The desktop shell's main process: joins the UI server whose URL (with the session token) comes in
// KUBEWIRE_UI_URL (set by `kubewire desktop`; the environment, unlike argv, is not world-readable),
// or starts one itself when run as root. Opens one sandboxed window on that origin only.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ElectronMainApi } from './electron-api.js';
import { createIpcHandlers } from './ipc-main.js';
import { appOriginOf, decideNavigation, decideWindowOpen } from './navigation-guard.js';
import { IPC_CHANNELS } from './preload-api.js';
import { windowOptions } from './window-options.js';

const here = dirname(fileURLToPath(import.meta.url));

async function loadElectron(): Promise<ElectronMainApi> {
  // A computed specifier: TypeScript does not need the package's types to build this file.
  const name = 'electron';
  const mod = (await import(name)) as { default?: ElectronMainApi } & ElectronMainApi;
  return mod.default ?? mod;
}

async function serverUrl(): Promise<{ url: string; dispose?: () => Promise<void> }> {
  const given = process.env.KUBEWIRE_UI_URL;
  if (given) {
    delete process.env.KUBEWIRE_UI_URL; // not inherited by anything this process starts
    return { url: given };
  }
  const { startUiApp } = await import('../server/ui-app.js');
  const server = await startUiApp({ prefix: process.env.KUBEWIRE_PREFIX ?? 'kw-' });
  return { url: server.url, dispose: server.dispose };
}

let quitApp: (() => void) | undefined;

async function main(): Promise<void> {
  const electron = await loadElectron();
  const { app, BrowserWindow, ipcMain, shell, session } = electron;
  quitApp = () => app.quit();
  app.enableSandbox();
  const server = await serverUrl();
  const appOrigin = appOriginOf(server.url);

  // Every web contents, whoever created it: no navigation away, no new windows, no webviews.
  app.on('web-contents-created', (_e, contents) => {
    const guard = (event: { preventDefault(): void }, url: string): void => {
      if (decideNavigation(url, appOrigin).action !== 'allow') event.preventDefault();
    };
    contents.on('will-navigate', guard);
    contents.on('will-redirect', guard);
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(({ url }) => {
      const d = decideWindowOpen(url, appOrigin);
      if (d.action === 'deny' && d.openExternally) void shell.openExternal(url);
      return { action: 'deny' };
    });
  });
  app.on('window-all-closed', () => app.quit());
  if (server.dispose) app.on('will-quit', () => void server.dispose?.());

  await app.whenReady();
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);

  const handlers = createIpcHandlers({
    appOrigin,
    info: () => ({
      version: app.getVersion(),
      electron: process.versions.electron ?? 'unknown',
      platform: process.platform,
    }),
    openExternal: (url) => shell.openExternal(url),
  });
  for (const channel of IPC_CHANNELS)
    ipcMain.handle(channel, (event, ...args) => handlers[channel](event.senderFrame?.url, args));

  const win = new BrowserWindow(
    windowOptions({ preloadPath: join(here, 'preload.cjs'), devTools: process.env.KUBEWIRE_DEVTOOLS === '1' }),
  );
  win.once('ready-to-show', () => win.show());
  await win.loadURL(server.url);
}

main().catch((err: unknown) => {
  console.error(`kubewire desktop: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
  quitApp?.();
});
