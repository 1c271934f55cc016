// The one object the preload exposes to the page (`window.kubewire`), in the manner of VS Code and
// Podman Desktop: a typed map of channels, an allow-list checked in the preload and again in main.
// Everything else the page needs goes to the UI server over HTTP, not through IPC.

export interface AppInfo {
  version: string;
  electron: string;
  platform: string;
}

/** Every renderer → main call: channel → argument tuple and result. */
export interface IpcChannelMap {
  'app:info': { args: []; result: AppInfo };
  'shell:open-external': { args: [url: string]; result: boolean };
}
export type IpcChannel = keyof IpcChannelMap;

export const IPC_CHANNELS: readonly IpcChannel[] = ['app:info', 'shell:open-external'];

export function isIpcChannel(name: unknown): name is IpcChannel {
  return typeof name === 'string' && (IPC_CHANNELS as readonly string[]).includes(name);
}

/** What `window.kubewire` has: exactly these members. */
export interface KubewireDesktopApi {
  info(): Promise<AppInfo>;
  openExternal(url: string): Promise<boolean>;
}
export const DESKTOP_API_MEMBERS: readonly (keyof KubewireDesktopApi)[] = ['info', 'openExternal'];

export type Invoke = (channel: IpcChannel, ...args: unknown[]) => Promise<unknown>;

export function createDesktopApi(invoke: Invoke): KubewireDesktopApi {
  const call = <C extends IpcChannel>(
    channel: C,
    ...args: IpcChannelMap[C]['args']
  ): Promise<IpcChannelMap[C]['result']> => {
    if (!isIpcChannel(channel)) return Promise.reject(new Error(`kubewire: channel ${String(channel)} is not allowed`));
    return invoke(channel, ...args) as Promise<IpcChannelMap[C]['result']>;
  };
  // A frozen plain object of functions: contextBridge copies it, and the page cannot add to it.
  return Object.freeze({
    info: () => call('app:info'),
    openExternal: (url: string) =>
      typeof url === 'string'
        ? call('shell:open-external', url)
        : Promise.reject(new TypeError('openExternal(url): url must be a string')),
  });
}

/** Main side: checks channel and arguments again, whatever the preload did. */
export function parseIpcArgs<C extends IpcChannel>(channel: C, args: unknown[]): IpcChannelMap[C]['args'] {
  switch (channel) {
    case 'app:info':
      if (args.length !== 0) throw new Error('app:info takes no arguments');
      return [] as IpcChannelMap[C]['args'];
    case 'shell:open-external':
      if (args.length !== 1 || typeof args[0] !== 'string' || args[0].length > 2048)
        throw new Error('shell:open-external takes one URL string');
      return [args[0]] as IpcChannelMap[C]['args'];
    default:
      throw new Error(`channel ${String(channel)} is not allowed`);
  }
}
