// The slice of Electron's API this shell uses, declared here so the project type-checks where the
// `electron` package (an optionalDependency whose binary cannot always be downloaded) is absent.
import type { WindowOptions } from './window-options.js';

export interface WebContentsLike {
  on(
    event: 'will-navigate' | 'will-redirect',
    listener: (event: { preventDefault(): void }, url: string) => void,
  ): void;
  on(event: 'will-attach-webview', listener: (event: { preventDefault(): void }) => void): void;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' } | { action: 'allow' }): void;
  getURL(): string;
}

export interface BrowserWindowLike {
  webContents: WebContentsLike;
  loadURL(url: string): Promise<void>;
  once(event: 'ready-to-show', listener: () => void): void;
  show(): void;
}

export interface SessionLike {
  setPermissionRequestHandler(
    handler: (wc: unknown, permission: string, callback: (granted: boolean) => void) => void,
  ): void;
  setPermissionCheckHandler(handler: () => boolean): void;
}

export interface ElectronMainApi {
  app: {
    enableSandbox(): void;
    whenReady(): Promise<void>;
    on(event: 'window-all-closed' | 'will-quit', listener: () => void): void;
    on(event: 'web-contents-created', listener: (e: unknown, contents: WebContentsLike) => void): void;
    quit(): void;
    getVersion(): string;
  };
  BrowserWindow: new (options: WindowOptions) => BrowserWindowLike;
  ipcMain: {
    handle(
      channel: string,
      handler: (event: { senderFrame: { url: string } | null }, ...args: unknown[]) => Promise<unknown>,
    ): void;
  };
  shell: { openExternal(url: string): Promise<void> };
  session: { defaultSession: SessionLike };
}
