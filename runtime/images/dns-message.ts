// Just enough of the DNS wire format (RFC 1035) for the emulated Internet's resolver: read a
// query's question, write an answer with A records. Pure; unit-tested.

export const TYPE_A = 1;
export const CLASS_IN = 1;
export const RCODE_NOERROR = 0;
export const RCODE_FORMERR = 1;
export const RCODE_NXDOMAIN = 3;

export interface DnsQuestion {
  id: number;
  /** Header flags of the query (RD is echoed in the answer). */
  flags: number;
  name: string;
  type: number;
  qclass: number;
  /** Byte range of the question section, echoed verbatim in the answer. */
  questionEnd: number;
}

/** Parses a query with one question; returns undefined for anything malformed. */
export function parseQuery(msg: Uint8Array): DnsQuestion | undefined {
  if (msg.length < 12) return undefined;
  const view = new DataView(msg.buffer, msg.byteOffset, msg.byteLength);
  const id = view.getUint16(0);
  const flags = view.getUint16(2);
  if (flags & 0x8000 || view.getUint16(4) !== 1) return undefined; // a response, or not one question
  const labels: string[] = [];
  let off = 12;
  for (;;) {
    if (off >= msg.length) return undefined;
    const len = msg[off]!;
    off += 1;
    if (len === 0) break;
    if (len > 63 || off + len > msg.length) return undefined; // compression never occurs in a question
    labels.push(String.fromCharCode(...msg.subarray(off, off + len)));
    off += len;
  }
  if (off + 4 > msg.length) return undefined;
  return {
    id,
    flags,
    name: labels.join('.').toLowerCase(),
    type: view.getUint16(off),
    qclass: view.getUint16(off + 2),
    questionEnd: off + 4,
  };
}

/** An answer to `q` (whose bytes are `query`) carrying A records `addresses` (dotted quads). */
export function buildAnswer(
  query: Uint8Array,
  q: DnsQuestion,
  rcode: number,
  addresses: string[],
  ttl = 60,
): Uint8Array {
  const out = new Uint8Array(q.questionEnd + addresses.length * 16);
  out.set(query.subarray(0, q.questionEnd));
  const view = new DataView(out.buffer);
  // QR=1, opcode copied, AA=1, RD copied, RA=1, rcode.
  view.setUint16(2, 0x8000 | (q.flags & 0x7800) | 0x0400 | (q.flags & 0x0100) | 0x0080 | (rcode & 0xf));
  view.setUint16(4, 1);
  view.setUint16(6, addresses.length);
  view.setUint16(8, 0);
  view.setUint16(10, 0);
  let off = q.questionEnd;
  for (const a of addresses) {
    view.setUint16(off, 0xc00c); // pointer to the name in the question
    view.setUint16(off + 2, TYPE_A);
    view.setUint16(off + 4, CLASS_IN);
    view.setUint32(off + 6, ttl);
    view.setUint16(off + 10, 4);
    a.split('.').forEach((o, i) => view.setUint8(off + 12 + i, Number(o)));
    off += 16;
  }
  return out;
}

/** A header-only FORMERR answer for a query we could not read (id kept when present). */
export function formatError(query: Uint8Array): Uint8Array {
  const out = new Uint8Array(12);
  if (query.length >= 2) out.set(query.subarray(0, 2));
  new DataView(out.buffer).setUint16(2, 0x8000 | 0x0080 | RCODE_FORMERR);
  return out;
}

/** Resolves a question against a table of names; AAAA and other types get an empty NOERROR. */
export function answerQuery(query: Uint8Array, table: ReadonlyMap<string, string[]>): Uint8Array {
  const q = parseQuery(query);
  if (!q) return formatError(query);
  const addrs = table.get(q.name.replace(/\.$/, ''));
  if (!addrs) return buildAnswer(query, q, RCODE_NXDOMAIN, []);
  const wantsA = (q.type === TYPE_A || q.type === 255) && q.qclass === CLASS_IN;
  return buildAnswer(query, q, RCODE_NOERROR, wantsA ? addrs : []);
}
