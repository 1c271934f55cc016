// Preload of the sandboxed renderer: exposes `window.kubewire` (electron/preload-api.ts) and
// nothing else. Bundled to CommonJS by scripts/build.mjs (sandboxed preloads cannot be ES modules).
import { createDesktopApi, isIpcChannel } from './preload-api.js';

interface PreloadElectron {
  contextBridge: { exposeInMainWorld(key: string, api: unknown): void };
  ipcRenderer: { invoke(channel: string, ...args: unknown[]): Promise<unknown> };
}

const { contextBridge, ipcRenderer } = require('electron') as PreloadElectron;
contextBridge.exposeInMainWorld(
  'kubewire',
  createDesktopApi((channel, ...args) =>
    isIpcChannel(channel) ? ipcRenderer.invoke(channel, ...args) : Promise.reject(new Error('channel not allowed')),
  ),
);
