// Reads a classic pcap file (tcpdump -w) and decodes what the path tests look at: Ethernet → IPv4
// → ICMP/TCP/UDP, and inside UDP 8472 the VXLAN header and the inner Ethernet frame.

export interface DecodedIp {
  src: string;
  dst: string;
  protocol: number;
  ttl: number;
  /** ICMP type, or TCP/UDP ports. */
  icmpType?: number;
  sport?: number;
  dport?: number;
  vxlan?: { vni: number; inner: DecodedIp | undefined };
}

export interface PcapFile {
  linkType: number;
  packets: Buffer[];
}

export function readPcap(buf: Buffer): PcapFile {
  const magic = buf.readUInt32LE(0);
  if (magic !== 0xa1b2c3d4 && magic !== 0xa1b23c4d)
    throw new Error(`not a little-endian pcap file (magic ${magic.toString(16)})`);
  const linkType = buf.readUInt32LE(20);
  const packets: Buffer[] = [];
  for (let off = 24; off + 16 <= buf.length;) {
    const incl = buf.readUInt32LE(off + 8);
    packets.push(buf.subarray(off + 16, off + 16 + incl));
    off += 16 + incl;
  }
  return { linkType, packets };
}

const ip4 = (b: Buffer, o: number): string => `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;

/** An Ethernet frame's IPv4 packet (undefined for ARP and the like). */
export function decodeEthernet(frame: Buffer): DecodedIp | undefined {
  if (frame.length < 34 || frame.readUInt16BE(12) !== 0x0800) return undefined;
  return decodeIpv4(frame.subarray(14));
}

export function decodeIpv4(p: Buffer): DecodedIp | undefined {
  if (p.length < 20 || p[0]! >> 4 !== 4) return undefined;
  const ihl = (p[0]! & 0x0f) * 4;
  const d: DecodedIp = { src: ip4(p, 12), dst: ip4(p, 16), protocol: p[9]!, ttl: p[8]! };
  const l4 = p.subarray(ihl);
  if (d.protocol === 1 && l4.length >= 1) d.icmpType = l4[0]!;
  if ((d.protocol === 6 || d.protocol === 17) && l4.length >= 4) {
    d.sport = l4.readUInt16BE(0);
    d.dport = l4.readUInt16BE(2);
  }
  if (d.protocol === 17 && d.dport === 8472 && l4.length >= 16) {
    const vx = l4.subarray(8);
    d.vxlan = { vni: vx.readUIntBE(4, 3), inner: decodeEthernet(vx.subarray(8)) };
  }
  return d;
}
