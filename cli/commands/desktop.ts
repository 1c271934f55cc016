// `kubewire desktop [--port N] [--prefix P]`: starts the UI server (it needs root) and shows it in
// the Electron window, or, where that cannot run, prints the URL and opens a browser if one exists.
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startUiApp } from '../../server/ui-app.js';
import { chooseDesktopMode } from './desktop-mode.js';
import { parseServeArgs, runUntilSignal } from './serve.js';

const here = dirname(fileURLToPath(import.meta.url));

function electronBinary(): string | undefined {
  try {
    // The electron package's main export is the path of its downloaded binary.
    const path = createRequire(import.meta.url)('electron') as unknown;
    return typeof path === 'string' && existsSync(path) ? path : undefined;
  } catch {
    return undefined;
  }
}

function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

export async function desktop(args: string[]): Promise<number> {
  const o = parseServeArgs(args, 'desktop');
  const server = await startUiApp({ prefix: o.prefix, port: o.port, kubeconfig: o.kubeconfig });
  const mode = chooseDesktopMode({
    electronBinary: electronBinary(),
    display: process.env.DISPLAY || process.env.WAYLAND_DISPLAY || undefined,
    uid: process.getuid?.() ?? -1,
    sudoUid: process.env.SUDO_UID,
    sudoGid: process.env.SUDO_GID,
    opener: findOnPath('xdg-open'),
  });

  if (mode.mode === 'electron') {
    const child = spawn(mode.binary, [join(here, '..', '..', 'electron', 'main.js')], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, KUBEWIRE_UI_URL: server.url },
      ...(mode.runAs ?? {}),
    });
    const started = await new Promise<boolean>((resolve) => {
      child.once('error', () => resolve(false));
      child.once('spawn', () => resolve(true));
    });
    if (started) {
      console.log(`kubewire: desktop window started for lab ${o.prefix} (UI server on 127.0.0.1:${server.port})`);
      const code = await new Promise<number>((resolve) => child.once('exit', (c) => resolve(c ?? 1)));
      if (code === 0) {
        await server.dispose();
        return 0;
      }
      console.error(`kubewire: the desktop window exited with ${code}; the UI stays available in a browser`);
    }
  } else {
    console.error(`kubewire: ${mode.reason}; serving the UI to a browser instead`);
  }
  console.log(`Open ${server.url}`);
  if (mode.mode === 'browser' && mode.openWith) {
    const opener = spawn(mode.openWith, [server.url], { stdio: 'ignore', detached: true, ...(mode.runAs ?? {}) });
    opener.on('error', () => {});
    opener.unref();
  }
  await runUntilSignal(server);
  return 0;
}
