// Just enough of Kubernetes' protobuf encoding to read the review requests kubectl's typed clients
// send as application/vnd.kubernetes.protobuf (`kubectl auth can-i`): the "k8s\0" envelope
// (runtime.Unknown) and the SelfSubjectAccessReview/SelfSubjectRulesReview messages. Answers go
// back as JSON, which those clients also accept.
import { badRequest } from '../status.js';

type Fields = Map<number, (Buffer | number)[]>;

function readVarint(buf: Buffer, pos: number): [number, number] {
  let result = 0;
  let shift = 0;
  for (;;) {
    if (pos >= buf.length) throw badRequest('protobuf: truncated varint');
    const b = buf[pos++]!;
    result += (b & 0x7f) * 2 ** shift;
    if (!(b & 0x80)) return [result, pos];
    shift += 7;
    if (shift > 63) throw badRequest('protobuf: varint too long');
  }
}

function fields(buf: Buffer): Fields {
  const out: Fields = new Map();
  let pos = 0;
  while (pos < buf.length) {
    const [key, p1] = readVarint(buf, pos);
    pos = p1;
    const field = Math.floor(key / 8);
    const wire = key & 7;
    let value: Buffer | number;
    if (wire === 0) {
      [value, pos] = readVarint(buf, pos);
    } else if (wire === 2) {
      const [len, p2] = readVarint(buf, pos);
      if (p2 + len > buf.length) throw badRequest('protobuf: truncated field');
      value = buf.subarray(p2, p2 + len);
      pos = p2 + len;
    } else if (wire === 1) {
      value = buf.subarray(pos, pos + 8);
      pos += 8;
    } else if (wire === 5) {
      value = buf.subarray(pos, pos + 4);
      pos += 4;
    } else throw badRequest(`protobuf: unsupported wire type ${wire}`);
    const list = out.get(field) ?? [];
    list.push(value);
    out.set(field, list);
  }
  return out;
}

const str = (f: Fields, n: number): string | undefined => {
  const v = f.get(n)?.[0];
  return Buffer.isBuffer(v) ? v.toString('utf8') : undefined;
};
const msg = (f: Fields, n: number): Fields | undefined => {
  const v = f.get(n)?.[0];
  return Buffer.isBuffer(v) ? fields(v) : undefined;
};

function clean(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/** Decodes the envelope; returns apiVersion, kind and the raw message bytes. */
function envelope(body: Buffer): { apiVersion: string; kind: string; raw: Buffer } {
  if (body.length < 4 || body.subarray(0, 4).toString('latin1') !== 'k8s\u0000') throw badRequest('protobuf: missing the k8s envelope prefix');
  const u = fields(body.subarray(4));
  const tm = msg(u, 1);
  const raw = u.get(2)?.[0];
  return { apiVersion: (tm && str(tm, 1)) ?? '', kind: (tm && str(tm, 2)) ?? '', raw: Buffer.isBuffer(raw) ? raw : Buffer.alloc(0) };
}

/** A review request in protobuf, as the JSON object the handler expects. */
export function decodeReview(body: Buffer): Record<string, any> {
  const { apiVersion, kind, raw } = envelope(body);
  const m = fields(raw);
  const spec = msg(m, 2);
  if (kind === 'SelfSubjectAccessReview') {
    const ra = spec && msg(spec, 1);
    const nra = spec && msg(spec, 2);
    return {
      apiVersion,
      kind,
      spec: clean({
        resourceAttributes: ra ? clean({ namespace: str(ra, 1), verb: str(ra, 2), group: str(ra, 3), version: str(ra, 4), resource: str(ra, 5), subresource: str(ra, 6), name: str(ra, 7) }) : undefined,
        nonResourceAttributes: nra ? clean({ path: str(nra, 1), verb: str(nra, 2) }) : undefined,
      }),
    };
  }
  if (kind === 'SelfSubjectRulesReview') return { apiVersion, kind, spec: clean({ namespace: spec ? str(spec, 1) : undefined }) };
  throw badRequest(`protobuf bodies are accepted for SelfSubjectAccessReview and SelfSubjectRulesReview only, not ${kind || 'this kind'}; send application/json`);
}
