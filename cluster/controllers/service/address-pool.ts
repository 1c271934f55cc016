// The emulated cloud's pool of load-balancer addresses (what a cloud provider's LB would hand out).
// Defaults to 198.51.100.200–198.51.100.249: the gateway↔Internet network of docs/architecture.md,
// i.e. the cloud's public side. Configurable as CIDRs and/or `first-last` ranges.
import { ValidationError } from '../../../common/errors.js';
import { formatIpv4, parseCidr, tryParseIpv4 } from '../../../common/net/ipv4.js';

export const DefaultLoadBalancerPool = ['198.51.100.200-198.51.100.249'];

function parseIp(s: string, where: string): number {
  const n = tryParseIpv4(s.trim());
  if (n === undefined) throw new ValidationError(where, `${JSON.stringify(s)} is not an IPv4 address`);
  return n;
}

export class AddressPool {
  private readonly ranges: [number, number][] = [];

  /** entries: `a.b.c.d/len` (network and broadcast excluded for /30 and shorter) or `a.b.c.d-e.f.g.h`. */
  constructor(entries: string[], where = 'loadBalancerPool') {
    if (entries.length === 0) throw new ValidationError(where, 'the pool is empty');
    entries.forEach((e, i) => {
      const at = `${where}[${i}]`;
      const cidr = /^([^/]+)\/(\d{1,2})$/.exec(e);
      if (cidr) {
        const len = Number(cidr[2]);
        if (len > 32) throw new ValidationError(at, `prefix length ${len} is more than 32`);
        const { network } = parseCidr(`${formatIpv4(parseIp(cidr[1]!, at))}/${len}`, false);
        const last = network + 2 ** (32 - len) - 1;
        this.ranges.push(len <= 30 ? [network + 1, last - 1] : [network, last]);
        return;
      }
      const range = /^([^-]+)-([^-]+)$/.exec(e);
      if (!range) throw new ValidationError(at, `${JSON.stringify(e)} is neither a CIDR nor a first-last range`);
      const a = parseIp(range[1]!, at);
      const b = parseIp(range[2]!, at);
      if (b < a) throw new ValidationError(at, `range ${e} ends before it starts`);
      this.ranges.push([a, b]);
    });
  }

  contains(ip: string): boolean {
    const n = tryParseIpv4(ip.trim());
    return n !== undefined && this.ranges.some(([a, b]) => n >= a && n <= b);
  }

  /** The lowest address not in use (undefined when the pool is exhausted). */
  allocate(inUse: Set<string>): string | undefined {
    for (const [a, b] of this.ranges) for (let n = a; n <= b; n++) if (!inUse.has(formatIpv4(n))) return formatIpv4(n);
    return undefined;
  }
}
