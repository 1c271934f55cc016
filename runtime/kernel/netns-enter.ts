// Runs a function with this thread inside another network namespace (the netns.node addon built
// from native/addon/netns.c): a socket created inside keeps that namespace for its whole life, so
// one process holds a netlink socket in every lab namespace instead of a process per namespace.
import { createRequire } from 'node:module';
import { KubewireError } from '../../common/errors.js';
import { netnsAddon } from '../project-root.js';

export class NetnsEnterError extends KubewireError {}

interface NetnsAddon {
  withNetns<T>(path: string, fn: () => T): T;
}

let addon: NetnsAddon | undefined;

function load(): NetnsAddon {
  if (addon) return addon;
  const file = netnsAddon();
  try {
    addon = createRequire(import.meta.url)(file) as NetnsAddon;
  } catch (cause) {
    throw new NetnsEnterError(`cannot load ${file} (npm run build makes it)`, { cause });
  }
  return addon;
}

/** `fn()` run with the calling thread in the namespace at `path` (/run/netns/<name>); synchronous. */
export function withNetns<T>(path: string, fn: () => T): T {
  try {
    return load().withNetns(path, fn);
  } catch (cause) {
    if ((cause as { code?: string }).code === 'ENOENT')
      throw new NetnsGoneError(`namespace ${path} is gone`, { cause });
    throw cause;
  }
}

/** The namespace's pin is gone (deleted between listing and opening). */
export class NetnsGoneError extends NetnsEnterError {}
