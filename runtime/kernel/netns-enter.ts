// Runs a function with this thread inside another network namespace (the netns.node addon built
// from native/addon/netns.c): a socket created inside keeps that namespace for its whole life, so
// one process holds a netlink socket in every lab namespace instead of a process per namespace.
import { createRequire } from 'node:module';
import { isIPv4, Socket } from 'node:net';
import { KubewireError } from '../../common/errors.js';
import { netnsAddon } from '../project-root.js';

export class NetnsEnterError extends KubewireError {}

interface NetnsAddon {
  withNetns<T>(path: string, fn: () => T): T;
  tcpSocket(): number;
  tcpListen(address: string, port: number): number;
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

/**
 * A TCP connection to host:port (IPv4) made from inside the namespace at `path` (/run/netns/<name>,
 * /proc/<pid>/ns/net): the socket is created there and keeps it, as Go's
 * `netns.Do(func() { net.Dial(…) })` does for containerd's port-forward. Nagle is off.
 */
export function connectIn(path: string, host: string, port: number): Socket {
  if (!isIPv4(host) || !Number.isInteger(port) || port < 1 || port > 65535)
    throw new NetnsEnterError(`cannot connect to ${host}:${port}: an IPv4 address and a port 1-65535 are needed`);
  const s = new Socket({ fd: withNetns(path, () => load().tcpSocket()), readable: true, writable: true });
  s.setNoDelay(true);
  s.connect(port, host);
  return s;
}

/** A listening TCP socket (its fd) bound to address:port in the namespace at `path`. */
export function tcpListenIn(path: string, address: string, port: number): number {
  return withNetns(path, () => load().tcpListen(address, port));
}
