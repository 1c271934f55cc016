// `kubewire desktop [--port N] [--prefix P] [--kubeconfig PATH]`: starts the UI server (it needs root) and shows it in
// the Electron window, or, where that cannot run, prints the URL and opens a browser if one exists.
// The token URL never appears in argv: Electron gets it in its environment (readable only by its
// owner), a browser gets the path of a private file that redirects to it (browser-open-file.ts).
import { accessSync, constants, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { startUiApp } from '../../server/ui-app.js';
import { writeBrowserOpenFile, type OpenFile } from './browser-open-file.js';
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
    // The token URL goes in the environment (added to ours), never on the command line.
    const child = execa(mode.binary, [join(here, '..', '..', 'electron', 'main.js')], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { KUBEWIRE_UI_URL: server.url },
      reject: false,
      ...(mode.runAs ?? {}),
    });
    const started = await new Promise<boolean>((resolve) => {
      child.once('error', () => resolve(false));
      child.once('spawn', () => resolve(true));
    });
    if (started) {
      console.log(`kubewire: desktop window started for lab ${o.prefix} (UI server on 127.0.0.1:${server.port})`);
      const code = (await child).exitCode ?? 1;
      if (code === 0) {
        await server.dispose();
        return 0;
      }
      console.error(`kubewire: the desktop window exited with ${code}; the UI stays available in a browser`);
    }
  } else {
    console.error(`kubewire: ${mode.reason}; serving the UI to a browser instead`);
  }
  // Printed to our own terminal only; never passed to another process on its command line.
  console.log(`Open ${server.url}`);
  let openFile: OpenFile | undefined;
  if (mode.mode === 'browser' && mode.openWith) {
    openFile = writeBrowserOpenFile(server.url, mode.runAs ? { runAs: mode.runAs } : {});
    void server.sessionStarted.then(() => openFile?.remove());
    // Detached: the browser it starts is the learner's, not a child of this server.
    const opener = execa(mode.openWith, browserOpenArgs(openFile), {
      stdio: 'ignore',
      detached: true,
      reject: false,
      ...(mode.runAs ?? {}),
    });
    opener.unref();
  }
  try {
    await runUntilSignal(server);
  } finally {
    openFile?.remove();
  }
  return 0;
}

/** The opener's argv: the private file's path, which holds no secret (the token stays inside it). */
export function browserOpenArgs(file: OpenFile): string[] {
  return [file.fileUrl];
}
