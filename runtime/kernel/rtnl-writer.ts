// Writes to a namespace's network state over rtnetlink from this process: what `ip -n NS …` and
// `bridge -n NS fdb …` send, built by hand (RTM_NEWLINK with nested IFLA_LINKINFO for bridges,
// veths and VXLAN devices; RTM_NEWADDR, RTM_NEWROUTE, RTM_NEWNEIGH for addresses, routes, ARP and
// FDB entries), on a socket opened inside the namespace (netns-enter.ts). Each message is the one
// iproute2 sends for the same command line (flags, families, protocol BOOT, scope), so the kernel
// ends in the same state; `replace` messages make a second run a no-op, as the helpers' are.
import { closeSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { KubewireError } from '../../common/errors.js';
import { ipv4Octets, tryParseIpv4 } from '../../common/net/ipv4.js';
import { withNetns } from './netns-enter.js';

interface NlMessage {
  type: number;
  data: Buffer;
}
interface RawRtSocket {
  socket: {
    request(
      type: number,
      data: Uint8Array[],
      options?: { flags?: number; timeout?: number },
    ): Promise<[NlMessage[], unknown]>;
    close(): void;
  };
  on(event: 'error', l: (err: Error) => void): void;
}

const netlink = createRequire(import.meta.url)('netlink') as { createRtNetlink(o?: { ref?: boolean }): RawRtSocket };

const RTM_NEWLINK = 16;
const RTM_DELLINK = 17;
const RTM_GETLINK = 18;
const RTM_NEWADDR = 20;
const RTM_NEWROUTE = 24;
const RTM_NEWNEIGH = 28;
const RTM_NEWRULE = 32;
const RTM_GETRULE = 34;

const NLM_F_DUMP = 0x300;
const NLM_F_REPLACE = 0x100;
const NLM_F_EXCL = 0x200;
const NLM_F_CREATE = 0x400;

const AF_UNSPEC = 0;
const AF_INET = 2;
const AF_BRIDGE = 7;
const IFF_UP = 1;

const IFLA_ADDRESS = 1;
const IFLA_IFNAME = 3;
const IFLA_MTU = 4;
const IFLA_MASTER = 10;
const IFLA_LINKINFO = 18;
const IFLA_NET_NS_FD = 28;
const IFLA_INFO_KIND = 1;
const IFLA_INFO_DATA = 2;
const VETH_INFO_PEER = 1;
const IFLA_VXLAN_ID = 1;
const IFLA_VXLAN_LINK = 3;
const IFLA_VXLAN_LOCAL = 4;
const IFLA_VXLAN_LEARNING = 7;
const IFLA_VXLAN_PROXY = 11;
const IFLA_VXLAN_L2MISS = 13;
const IFLA_VXLAN_L3MISS = 14;
const IFLA_VXLAN_PORT = 15;
const IFLA_VXLAN_UDP_CSUM = 18;

const IFA_ADDRESS = 1;
const IFA_LOCAL = 2;
const RTA_DST = 1;
const RTA_OIF = 4;
const RTA_GATEWAY = 5;
const RT_TABLE_MAIN = 254;
const RTPROT_BOOT = 3;
const RTN_UNICAST = 1;
const RTNH_F_ONLINK = 4;
const FRA_DST = 1;
const FRA_TABLE = 15;
const FRA_IP_PROTO = 22;
const FR_ACT_TO_TBL = 1;
const NDA_DST = 1;
const NDA_LLADDR = 2;
const NUD_PERMANENT = 0x80;
const NTF_SELF = 0x02;

export class RtnlWriteError extends KubewireError {}

// --- attribute encoding ------------------------------------------------------------------------

function attr(type: number, payload: Buffer): Buffer {
  const len = 4 + payload.length;
  const out = Buffer.alloc((len + 3) & ~3);
  out.writeUInt16LE(len, 0);
  out.writeUInt16LE(type, 2);
  payload.copy(out, 4);
  return out;
}
const u8 = (type: number, v: number) => attr(type, Buffer.from([v]));
const u32 = (type: number, v: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0, 0);
  return attr(type, b);
};
const be16 = (type: number, v: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(v, 0);
  return attr(type, b);
};
const str = (type: number, s: string) => attr(type, Buffer.from(`${s}\0`));
const nest = (type: number, parts: Buffer[]) => attr(type, Buffer.concat(parts));

export function ipv4Bytes(ip: string): Buffer {
  const n = tryParseIpv4(ip);
  if (n === undefined) throw new RtnlWriteError(`not an IPv4 address: ${ip}`);
  return Buffer.from(ipv4Octets(n));
}
export function macBytes(mac: string): Buffer {
  if (!/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(mac)) throw new RtnlWriteError(`not a MAC address: ${mac}`);
  return Buffer.from(mac.split(':').map((h) => parseInt(h, 16)));
}

/** struct ifinfomsg */
function ifinfomsg(index = 0, flags = 0, change = 0, family = AF_UNSPEC): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt8(family, 0);
  b.writeInt32LE(index, 4);
  b.writeUInt32LE(flags, 8);
  b.writeUInt32LE(change, 12);
  return b;
}

// --- one namespace ----------------------------------------------------------------------------

export interface RouteSpec {
  /** A CIDR, or 'default'. */
  dst: string;
  via: string;
  dev: string;
  onlink?: boolean;
}

/** A policy rule as `ip rule show to DST ipproto P lookup TABLE` filters them. */
export interface RuleView {
  /** Destination network (a.b.c.d), undefined for `from all to all`. */
  dst?: string;
  dstLen: number;
  table: number;
  /** IP protocol number (6 tcp, 17 udp), undefined when the rule has none. */
  ipProto?: number;
}

/** An rtnetlink socket inside one namespace; requests go one after another, each acknowledged. */
export class RtnlWriter {
  private readonly sock: RawRtSocket;
  private readonly index = new Map<string, number>();

  private constructor(
    readonly ns: string,
    private readonly netnsDir: string,
  ) {
    this.sock = withNetns(join(netnsDir, ns), () => netlink.createRtNetlink({ ref: false }));
    this.sock.on('error', () => undefined);
  }

  static open(ns: string, netnsDir = '/run/netns'): RtnlWriter {
    return new RtnlWriter(ns, netnsDir);
  }

  close(): void {
    this.sock.socket.close();
  }

  private async request(type: number, flags: number, parts: Buffer[], what: string): Promise<NlMessage[]> {
    try {
      const [reply] = await this.sock.socket.request(type, parts, { flags, timeout: 10_000 });
      return reply;
    } catch (cause) {
      const code = /rejected: (\w+)/.exec(String((cause as Error).message))?.[1] ?? String(cause);
      throw new RtnlWriteError(`${what} in ${this.ns}: ${code}`, { cause });
    }
  }

  /** The device's ifindex, or undefined when there is none of that name. */
  async ifindex(name: string): Promise<number | undefined> {
    const known = this.index.get(name);
    if (known !== undefined) return known;
    try {
      const [reply] = await this.sock.socket.request(RTM_GETLINK, [ifinfomsg(), str(IFLA_IFNAME, name)], {
        timeout: 10_000,
      });
      const m = reply.find((r) => r.type === RTM_NEWLINK);
      if (!m) return undefined;
      const idx = m.data.readInt32LE(4);
      this.index.set(name, idx);
      return idx;
    } catch (cause) {
      if (/ENODEV/.test(String((cause as Error).message))) return undefined;
      throw new RtnlWriteError(`link show dev ${name} in ${this.ns}: ${String(cause)}`, { cause });
    }
  }

  private async need(name: string): Promise<number> {
    const i = await this.ifindex(name);
    if (i === undefined) throw new RtnlWriteError(`device ${name} does not exist in ${this.ns}`);
    return i;
  }

  /** ip link delete dev NAME */
  async deleteLink(name: string): Promise<void> {
    const i = await this.need(name);
    await this.request(RTM_DELLINK, 0, [ifinfomsg(i)], `link delete dev ${name}`);
    this.index.delete(name);
  }

  /** ip link add NAME mtu MTU type bridge */
  async addBridge(name: string, mtu: number): Promise<void> {
    await this.request(
      RTM_NEWLINK,
      NLM_F_CREATE | NLM_F_EXCL,
      [ifinfomsg(), str(IFLA_IFNAME, name), u32(IFLA_MTU, mtu), nest(IFLA_LINKINFO, [str(IFLA_INFO_KIND, 'bridge')])],
      `link add ${name} type bridge`,
    );
  }

  /**
   * ip link add NAME netns <this> mtu MTU type veth peer name PEER netns PEER_NS mtu MTU: both ends
   * are born in their namespaces (this one's socket makes NAME here; the peer gets PEER_NS's fd).
   */
  async addVeth(name: string, mtu: number, peer: string, peerNs: string): Promise<void> {
    const fd = openSync(join(this.netnsDir, peerNs), 'r');
    try {
      const peerMsg = Buffer.concat([ifinfomsg(), str(IFLA_IFNAME, peer), u32(IFLA_MTU, mtu), u32(IFLA_NET_NS_FD, fd)]);
      await this.request(
        RTM_NEWLINK,
        NLM_F_CREATE | NLM_F_EXCL,
        [
          ifinfomsg(),
          str(IFLA_IFNAME, name),
          u32(IFLA_MTU, mtu),
          nest(IFLA_LINKINFO, [str(IFLA_INFO_KIND, 'veth'), nest(IFLA_INFO_DATA, [attr(VETH_INFO_PEER, peerMsg)])]),
        ],
        `link add ${name} type veth peer name ${peer} netns ${peerNs}`,
      );
    } finally {
      closeSync(fd);
    }
  }

  /**
   * ip link add NAME address MAC mtu MTU type vxlan id VNI local LOCAL dev LOWER dstport PORT
   * nolearning noudpcsum [proxy l2miss l3miss]
   */
  async addVxlan(o: {
    name: string;
    mac: string;
    mtu: number;
    vni: number;
    local: string;
    lower: string;
    port: number;
    miss: boolean;
  }): Promise<void> {
    const lower = await this.need(o.lower);
    const data = [
      u32(IFLA_VXLAN_ID, o.vni),
      attr(IFLA_VXLAN_LOCAL, ipv4Bytes(o.local)),
      u32(IFLA_VXLAN_LINK, lower),
      be16(IFLA_VXLAN_PORT, o.port),
      u8(IFLA_VXLAN_LEARNING, 0),
      u8(IFLA_VXLAN_UDP_CSUM, 0),
      ...(o.miss ? [u8(IFLA_VXLAN_PROXY, 1), u8(IFLA_VXLAN_L2MISS, 1), u8(IFLA_VXLAN_L3MISS, 1)] : []),
    ];
    await this.request(
      RTM_NEWLINK,
      NLM_F_CREATE | NLM_F_EXCL,
      [
        ifinfomsg(),
        str(IFLA_IFNAME, o.name),
        attr(IFLA_ADDRESS, macBytes(o.mac)),
        u32(IFLA_MTU, o.mtu),
        nest(IFLA_LINKINFO, [str(IFLA_INFO_KIND, 'vxlan'), nest(IFLA_INFO_DATA, data)]),
      ],
      `link add ${o.name} type vxlan`,
    );
  }

  /** ip link set dev NAME [address MAC] [master BR] [up] */
  async setLink(name: string, o: { mac?: string; master?: string; up?: boolean }): Promise<void> {
    const i = await this.need(name);
    const parts: Buffer[] = [ifinfomsg(i, o.up ? IFF_UP : 0, o.up ? IFF_UP : 0)];
    if (o.mac) parts.push(attr(IFLA_ADDRESS, macBytes(o.mac)));
    if (o.master) parts.push(u32(IFLA_MASTER, await this.need(o.master)));
    await this.request(RTM_NEWLINK, 0, parts, `link set dev ${name}`);
  }

  /** ip addr replace A.B.C.D/LEN dev NAME */
  async replaceAddress(cidr: string, dev: string): Promise<void> {
    const [ip, len] = cidr.split('/') as [string, string];
    const i = await this.need(dev);
    const msg = Buffer.alloc(8);
    msg.writeUInt8(AF_INET, 0);
    msg.writeUInt8(Number(len), 1);
    msg.writeUInt32LE(i, 4);
    await this.request(
      RTM_NEWADDR,
      NLM_F_CREATE | NLM_F_REPLACE,
      [msg, attr(IFA_LOCAL, ipv4Bytes(ip)), attr(IFA_ADDRESS, ipv4Bytes(ip))],
      `addr replace ${cidr} dev ${dev}`,
    );
  }

  /** ip route replace DST via VIA dev DEV [onlink] (main table, proto boot) */
  async replaceRoute(r: RouteSpec): Promise<void> {
    const i = await this.need(r.dev);
    const [dst, len] = r.dst === 'default' ? ['0.0.0.0', '0'] : (r.dst.split('/') as [string, string | undefined]);
    const dstLen = len === undefined ? 32 : Number(len);
    const msg = Buffer.alloc(12);
    msg.writeUInt8(AF_INET, 0);
    msg.writeUInt8(dstLen, 1);
    msg.writeUInt8(RT_TABLE_MAIN, 4);
    msg.writeUInt8(RTPROT_BOOT, 5);
    msg.writeUInt8(0, 6); // RT_SCOPE_UNIVERSE: a route with a gateway
    msg.writeUInt8(RTN_UNICAST, 7);
    msg.writeUInt32LE(r.onlink ? RTNH_F_ONLINK : 0, 8);
    const parts: Buffer[] = [msg];
    if (dstLen > 0) parts.push(attr(RTA_DST, ipv4Bytes(dst)));
    parts.push(attr(RTA_GATEWAY, ipv4Bytes(r.via)), u32(RTA_OIF, i));
    await this.request(
      RTM_NEWROUTE,
      NLM_F_CREATE | NLM_F_REPLACE,
      parts,
      `route replace ${r.dst} via ${r.via} dev ${r.dev}`,
    );
  }

  /** ip route replace DST/LEN via VIA table TABLE (proto boot; the kernel picks the device) */
  async replaceTableRoute(dst: string, via: string, table: number): Promise<void> {
    const [net, len] = dst.split('/') as [string, string];
    const msg = Buffer.alloc(12);
    msg.writeUInt8(AF_INET, 0);
    msg.writeUInt8(Number(len), 1);
    msg.writeUInt8(table, 4);
    msg.writeUInt8(RTPROT_BOOT, 5);
    msg.writeUInt8(0, 6); // RT_SCOPE_UNIVERSE
    msg.writeUInt8(RTN_UNICAST, 7);
    await this.request(
      RTM_NEWROUTE,
      NLM_F_CREATE | NLM_F_REPLACE,
      [msg, attr(RTA_DST, ipv4Bytes(net)), attr(RTA_GATEWAY, ipv4Bytes(via))],
      `route replace ${dst} via ${via} table ${table}`,
    );
  }

  /** The IPv4 policy rules (ip rule show): destination, table and IP protocol of each. */
  async rules(): Promise<RuleView[]> {
    const hdr = Buffer.alloc(12);
    hdr.writeUInt8(AF_INET, 0);
    const reply = await this.request(RTM_GETRULE, NLM_F_DUMP, [hdr], 'rule show');
    const out: RuleView[] = [];
    for (const m of reply) {
      if (m.type !== RTM_NEWRULE || m.data.length < 12) continue;
      const d = m.data;
      const r: RuleView = { dstLen: d.readUInt8(1), table: d.readUInt8(4) };
      for (let off = 12; off + 4 <= d.length;) {
        const len = d.readUInt16LE(off);
        const type = d.readUInt16LE(off + 2) & 0x3fff;
        if (len < 4) break;
        if (type === FRA_DST && len >= 8) r.dst = [...d.subarray(off + 4, off + 8)].join('.');
        else if (type === FRA_TABLE && len >= 8) r.table = d.readUInt32LE(off + 4);
        else if (type === FRA_IP_PROTO && len >= 5) r.ipProto = d.readUInt8(off + 4);
        off += (len + 3) & ~3;
      }
      out.push(r);
    }
    return out;
  }

  /** ip rule add to DST/LEN ipproto PROTO lookup TABLE */
  async addRule(dst: string, ipProto: number, table: number): Promise<void> {
    const [net, len] = dst.split('/') as [string, string];
    const hdr = Buffer.alloc(12);
    hdr.writeUInt8(AF_INET, 0);
    hdr.writeUInt8(Number(len), 1);
    hdr.writeUInt8(table, 4);
    hdr.writeUInt8(FR_ACT_TO_TBL, 7);
    await this.request(
      RTM_NEWRULE,
      NLM_F_CREATE | NLM_F_EXCL,
      [hdr, attr(FRA_DST, ipv4Bytes(net)), u8(FRA_IP_PROTO, ipProto)],
      `rule add to ${dst} ipproto ${ipProto} lookup ${table}`,
    );
  }

  /** ip neigh replace IP lladdr MAC dev DEV nud permanent */
  async replaceNeighbour(ip: string, mac: string, dev: string): Promise<void> {
    await this.neigh(AF_INET, 0, await this.need(dev), ipv4Bytes(ip), mac, `neigh replace ${ip} dev ${dev}`);
  }

  /** bridge fdb replace MAC dev DEV dst IP self permanent */
  async replaceFdb(mac: string, dev: string, dst: string): Promise<void> {
    await this.neigh(AF_BRIDGE, NTF_SELF, await this.need(dev), ipv4Bytes(dst), mac, `fdb replace ${mac} dev ${dev}`);
  }

  private async neigh(family: number, ntf: number, index: number, dst: Buffer, mac: string, what: string) {
    const msg = Buffer.alloc(12);
    msg.writeUInt8(family, 0);
    msg.writeInt32LE(index, 4);
    msg.writeUInt16LE(NUD_PERMANENT, 8);
    msg.writeUInt8(ntf, 10);
    const parts: Buffer[] =
      family === AF_BRIDGE
        ? [msg, attr(NDA_LLADDR, macBytes(mac)), attr(NDA_DST, dst)]
        : [msg, attr(NDA_DST, dst), attr(NDA_LLADDR, macBytes(mac))];
    await this.request(RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE, parts, what);
  }
}

/** Runs `fn` with a writer in `ns`, closing it afterwards. */
export async function inNamespace<T>(ns: string, fn: (w: RtnlWriter) => Promise<T>, netnsDir?: string): Promise<T> {
  const w = RtnlWriter.open(ns, netnsDir);
  try {
    return await fn(w);
  } finally {
    w.close();
  }
}
