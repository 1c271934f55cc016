// IPv4 addresses and CIDR blocks as plain numbers: parsing, containment, overlap. Pure, shared by
// the topology validator (also run in the UI) and the runtime.

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

export function parseIpv4(text: string): number {
  if (!IPV4_RE.test(text)) throw new Error(`'${text}' is not an IPv4 address`);
  return text.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
}

export function formatIpv4(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

function maskOf(length: number): number {
  return length === 0 ? 0 : (0xffffffff - (2 ** (32 - length) - 1)) >>> 0;
}

/** Parses `a.b.c.d/len`; with `strict`, host bits must be zero (a network, not an address). */
export function parseCidr(text: string, strict = true): Cidr & { address: number } {
  const m = /^([0-9.]+)\/([0-9]{1,2})$/.exec(text);
  if (!m || !isIpv4(m[1]!) || Number(m[2]) > 32) throw new Error(`'${text}' is not a CIDR block (a.b.c.d/len)`);
  const address = parseIpv4(m[1]!);
  const length = Number(m[2]);
  const network = (address & maskOf(length)) >>> 0;
  if (strict && network !== address) {
    throw new Error(`'${text}' has host bits set (the network is ${formatIpv4(network)}/${length})`);
  }
  return { network, length, address };
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
