// DNS messages for the lab's resolvers (the emulated Internet's and cluster DNS), read and written by
// dns-packet: a query's one question, an answer with A records, and TCP's two-byte length framing
// (RFC 1035 4.2.2, RFC 7766). Pure; unit-tested.
import dnsPacket, { type Answer, type DecodedPacket, type Packet } from 'dns-packet';

export const TYPE_A = 1;
export const CLASS_IN = 1;
export const RCODE_NOERROR = 0;
export const RCODE_FORMERR = 1;
export const RCODE_NXDOMAIN = 3;

/** The opcode and RD bits of a query's flags, echoed in its answer. */
const OPCODE_MASK = 0x7800;

export interface DnsQuestion {
  id: number;
  /** Header flags of the query (opcode and RD are echoed in the answer). */
  flags: number;
  /** Lower case, no trailing dot (as looked up). */
  name: string;
  /** As asked (echoed in the answer: resolvers may randomise its case). */
  asked: string;
  /** 'A', 'AAAA', … (dns-packet's names). */
  type: string;
  qclass: string;
  packet: DecodedPacket;
}

/** Reads a query with exactly one question; undefined for anything malformed or a response. */
export function parseQuery(msg: Uint8Array): DnsQuestion | undefined {
  let packet: DecodedPacket;
  try {
    packet = dnsPacket.decode(Buffer.from(msg.buffer, msg.byteOffset, msg.byteLength));
  } catch {
    return undefined;
  }
  if (packet.type !== 'query' || packet.questions?.length !== 1) return undefined;
  const q = packet.questions[0]!;
  return {
    id: packet.id ?? 0,
    flags: packet.flags ?? 0,
    name: q.name.toLowerCase().replace(/\.$/, ''),
    asked: q.name,
    type: q.type,
    qclass: q.class ?? 'IN',
    packet,
  };
}

/** An authoritative answer to `q` with rcode and A records `addresses` (dotted quads). */
export function buildAnswer(q: DnsQuestion, rcode: number, addresses: string[], ttl = 60): Buffer {
  const answers: Answer[] = addresses.map((data) => ({ type: 'A', class: 'IN', name: q.asked, ttl, data }));
  const reply: Packet = {
    type: 'response',
    id: q.id,
    flags:
      (q.flags & OPCODE_MASK) |
      dnsPacket.AUTHORITATIVE_ANSWER |
      (q.flags & dnsPacket.RECURSION_DESIRED) |
      dnsPacket.RECURSION_AVAILABLE |
      (rcode & 0xf),
    questions: [{ type: q.type as 'A', class: q.qclass as 'IN', name: q.asked }],
    answers,
  };
  return dnsPacket.encode(reply);
}

/** A header-only FORMERR answer for a query that could not be read (its id kept when present). */
export function formatError(query: Uint8Array): Buffer {
  const id = query.length >= 2 ? (query[0]! << 8) | query[1]! : 0;
  return dnsPacket.encode({ type: 'response', id, flags: dnsPacket.RECURSION_AVAILABLE | RCODE_FORMERR });
}

/** Resolves a question against a table of names; AAAA and other types get an empty NOERROR. */
export function answerQuery(query: Uint8Array, table: ReadonlyMap<string, string[]>): Buffer {
  const q = parseQuery(query);
  if (!q) return formatError(query);
  return answerFor(q, table);
}

/** The answer to a parsed question from `table`: NXDOMAIN for a name it does not hold. */
export function answerFor(q: DnsQuestion, table: ReadonlyMap<string, string[]>): Buffer {
  const addrs = table.get(q.name);
  if (!addrs) return buildAnswer(q, RCODE_NXDOMAIN, []);
  const wantsA = (q.type === 'A' || q.type === 'ANY') && q.qclass === 'IN';
  return buildAnswer(q, RCODE_NOERROR, wantsA ? addrs : []);
}

/**
 * DNS over TCP: messages with a two-byte length before each (RFC 1035 4.2.2). Feed it the bytes of
 * a connection as they come; it calls `onMessage` with each whole message.
 */
export class TcpFramer {
  private buf: Buffer = Buffer.alloc(0);
  constructor(
    private readonly onMessage: (msg: Buffer) => void,
    /** RFC 1035 caps a message at 65,535 bytes; a lab query is far smaller. */
    private readonly maxBuffered = 65_537,
  ) {}

  /** false when the peer sent more than a message's worth without completing one. */
  push(chunk: Buffer): boolean {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    while (this.buf.length >= 2) {
      const len = this.buf.readUInt16BE(0);
      if (this.buf.length < 2 + len) break;
      const msg = this.buf.subarray(2, 2 + len);
      this.buf = this.buf.subarray(2 + len);
      this.onMessage(msg);
    }
    return this.buf.length <= this.maxBuffered;
  }
}

/** A message framed for TCP: its length, then the message. */
export function tcpFrame(msg: Uint8Array): Buffer {
  const out = Buffer.alloc(2 + msg.length);
  out.writeUInt16BE(msg.length, 0);
  out.set(msg, 2);
  return out;
}
