// What a person may type as a path tracer destination, parsed strictly: a dotted IPv4 address,
// `IP:port` (a service's cluster IP, or a node IP and NodePort; TCP unless `/udp` follows), or a
// DNS name (optionally with a port) to resolve with the source's resolver. Nothing else gets near a
// command line.
import { ValidationError } from './errors.js';
import { isIpv4 } from './net/ipv4.js';

export type PathTarget = ({ kind: 'ip'; ip: string } | { kind: 'name'; name: string }) & { port?: number; udp?: true };

/** RFC 1123 host names: labels of letters, digits and inner hyphens, at most 253 characters. */
const HOST_NAME =
  /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

export function parsePort(s: string, where: string): number {
  if (!/^[0-9]{1,5}$/.test(s)) throw new ValidationError(where, `port '${s.slice(0, 20)}' is not a number`);
  const n = Number(s);
  if (n < 1 || n > 65535) throw new ValidationError(where, `port ${n} is outside 1…65535`);
  return n;
}

export function parsePathTarget(input: string, where: string): PathTarget {
  let s = input.trim();
  if (s === '') throw new ValidationError(where, 'empty destination');
  const proto = /\/(tcp|udp)$/i.exec(s);
  if (proto) s = s.slice(0, -proto[0].length);
  const colon = s.lastIndexOf(':');
  const host = colon >= 0 ? s.slice(0, colon) : s;
  const port = colon >= 0 ? parsePort(s.slice(colon + 1), where) : undefined;
  if (proto && port === undefined)
    throw new ValidationError(where, `/${proto[1]} needs a port (e.g. 192.168.192.10:53/udp)`);
  const udp = proto?.[1]!.toLowerCase() === 'udp';
  const withPort = <T extends object>(t: T): T & { port?: number; udp?: true } =>
    port === undefined ? t : { ...t, port, ...(udp ? { udp: true as const } : {}) };
  if (/^[0-9.]+$/.test(host)) {
    if (!isIpv4(host)) throw new ValidationError(where, `'${host.slice(0, 40)}' is not a dotted IPv4 address`);
    if (host.startsWith('127.') || host === '0.0.0.0' || Number(host.split('.')[0]) >= 224) {
      throw new ValidationError(where, `${host} is not a unicast address a packet can be traced to`);
    }
    return withPort({ kind: 'ip' as const, ip: host });
  }
  if (!HOST_NAME.test(host))
    throw new ValidationError(where, `'${host.slice(0, 60)}' is neither an IPv4 address nor a host name`);
  return withPort({ kind: 'name' as const, name: host.replace(/\.$/, '').toLowerCase() });
}
