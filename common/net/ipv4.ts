// IPv4 addresses and CIDR blocks as plain numbers: parsing, formatting, containment, overlap. The one
// IPv4 helper of the tree: topology validation (also run in the UI), the runtime, the apiserver's
// ClusterIP allocator, kube-proxy, the cloud's LB pool and the path tracer all use it. Pure.

export interface Cidr {
  /** Network address (host bits cleared) as an unsigned 32-bit number. */
  network: number;
  length: number;
}

const OCTET = '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
const IPV4_RE = new RegExp(`^${OCTET}(\\.${OCTET}){3}$`);

export function isIpv4(text: string): boolean {
  return IPV4_RE.test(text);
}

/** Dotted quad to an unsigned 32-bit number; throws on anything else (no leading zeros, no spaces). */
export function parseIpv4(text: string): number {
  const n = tryParseIpv4(text);
  if (n === undefined) throw new Error(`'${text}' is not an IPv4 address`);
  return n;
}

export function tryParseIpv4(text: string): number | undefined {
  if (!IPV4_RE.test(text)) return undefined;
  return text.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
}

export function formatIpv4(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

function maskOf(length: number): number {
  return length === 0 ? 0 : (0xffffffff - (2 ** (32 - length) - 1)) >>> 0;
}

const CIDR_RE = /^([0-9.]+)\/([0-9]{1,2})$/;

/** `a.b.c.d/len` with len 0…32 (host bits may be set). */
export function isIpv4Cidr(text: string): boolean {
  const m = CIDR_RE.exec(text);
  return !!m && isIpv4(m[1]!) && Number(m[2]) <= 32;
}

/** Parses `a.b.c.d/len`; with `strict`, host bits must be zero (a network, not an address). */
export function parseCidr(text: string, strict = true): Cidr & { address: number } {
  const m = CIDR_RE.exec(text);
  if (!m || !isIpv4(m[1]!) || Number(m[2]) > 32) throw new Error(`'${text}' is not a CIDR block (a.b.c.d/len)`);
  const address = parseIpv4(m[1]!);
  const length = Number(m[2]);
  const network = (address & maskOf(length)) >>> 0;
  if (strict && network !== address) {
    throw new Error(`'${text}' has host bits set (the network is ${formatIpv4(network)}/${length})`);
  }
  return { network, length, address };
}

/**
 * A route's destination or an iptables `-s`/`-d` match: `a.b.c.d/len` (host bits ignored) or a bare
 * address (a /32). Undefined when it is neither.
 */
export function parseIpv4Prefix(text: string): (Cidr & { address: number }) | undefined {
  if (isIpv4(text)) {
    const address = parseIpv4(text);
    return { network: address, length: 32, address };
  }
  return isIpv4Cidr(text) ? parseCidr(text, false) : undefined;
}

/** Whether the prefix (`a.b.c.d/len` or a bare address) holds the address; false when either is malformed. */
export function prefixContains(prefix: string, ip: string): boolean {
  const c = parseIpv4Prefix(prefix);
  const n = tryParseIpv4(ip);
  return c !== undefined && n !== undefined && cidrContains(c, n);
}

export function formatCidr(c: Cidr): string {
  return `${formatIpv4(c.network)}/${c.length}`;
}

export function cidrSize(c: Cidr): number {
  return 2 ** (32 - c.length);
}

export function cidrContains(c: Cidr, ip: number): boolean {
  return ip >= c.network && ip < c.network + cidrSize(c);
}

export function cidrContainsCidr(outer: Cidr, inner: Cidr): boolean {
  return inner.length >= outer.length && cidrContains(outer, inner.network);
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return cidrContains(a, b.network) || cidrContains(b, a.network);
}

/** The n-th address of a block: `nth(192.168.132.0/24, 1)` is 192.168.132.1. */
export function cidrNth(c: Cidr, n: number): number {
  return c.network + n;
}

/** The address as its 4 bytes in network order (what rtnetlink carries). */
export function ipv4Octets(n: number): Uint8Array {
  return Uint8Array.of(...[24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256));
}
