// Main-process handlers of the preload's channels. Each call is checked again here: the channel is
// on the allow-list, the sender frame is the app's own page, the arguments have the right shape.
import { isExternalWebUrl } from './navigation-guard.js';
import { isIpcChannel, parseIpcArgs, type AppInfo, type IpcChannel, type IpcChannelMap } from './preload-api.js';

export interface IpcMainDeps {
  appOrigin: string;
  info: () => AppInfo;
  openExternal: (url: string) => Promise<void>;
}

export type IpcHandler = (senderFrameUrl: string | undefined, args: unknown[]) => Promise<unknown>;

export function senderIsApp(senderFrameUrl: string | undefined, appOrigin: string): boolean {
  if (!senderFrameUrl) return false;
  try {
    return new URL(senderFrameUrl).origin === appOrigin;
  } catch {
    return false;
  }
}

export function createIpcHandlers(d: IpcMainDeps): Record<IpcChannel, IpcHandler> {
  const handlers: { [C in IpcChannel]: (...args: IpcChannelMap[C]['args']) => Promise<IpcChannelMap[C]['result']> } = {
    'app:info': async () => d.info(),
    'shell:open-external': async (url) => {
      if (!isExternalWebUrl(url) || new URL(url).origin === d.appOrigin) return false;
      await d.openExternal(url);
      return true;
    },
  };
  const guarded =
    (channel: IpcChannel): IpcHandler =>
    async (senderFrameUrl, args) => {
      if (!isIpcChannel(channel)) throw new Error(`channel ${String(channel)} is not allowed`);
      if (!senderIsApp(senderFrameUrl, d.appOrigin))
        throw new Error(`${channel}: refused a call from ${senderFrameUrl ?? 'an unknown frame'}`);
      const parsed = parseIpcArgs(channel, args);
      return (handlers[channel] as (...a: unknown[]) => Promise<unknown>)(...parsed);
    };
  return { 'app:info': guarded('app:info'), 'shell:open-external': guarded('shell:open-external') };
}
