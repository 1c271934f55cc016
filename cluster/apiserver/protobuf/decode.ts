// Reads request bodies in Kubernetes' protobuf encoding (application/vnd.kubernetes.protobuf),
// which kubectl's typed clients send (`kubectl create namespace|deployment|configmap…`,
// `kubectl auth can-i`): the "k8s\0" envelope (runtime.Unknown), then the message by the field
// table generated from the API's .proto files, turned into the object its JSON form would give.
// Answers still go out as JSON, which those clients accept too.
import { badRequest } from '../status.js';
import { MESSAGES, type ProtoField } from './k8s-messages.generated.js';
import { PACKAGE_OF_GROUP } from './message-schema.js';

type Obj = Record<string, unknown>;

const META = 'k8s.io.apimachinery.pkg.apis.meta.v1';

class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}
  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.buf.length) throw badRequest('protobuf: truncated varint');
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return result;
      shift += 7n;
      if (shift > 70n) throw badRequest('protobuf: varint too long');
    }
  }
  bytes(): Buffer {
    const len = Number(this.varint());
    if (this.pos + len > this.buf.length) throw badRequest('protobuf: truncated field');
    const b = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return b;
  }
  fixed(n: 4 | 8): Buffer {
    if (this.pos + n > this.buf.length) throw badRequest('protobuf: truncated field');
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
}

type Raw = { wire: number; v: bigint | Buffer };

function scalar(type: string, raw: Raw): unknown {
  const { wire, v } = raw;
  switch (type) {
    case 'string':
      return (v as Buffer).toString('utf8');
    case 'bytes':
      return (v as Buffer).toString('base64');
    case 'bool':
      return v !== 0n;
    case 'int32':
    case 'int64': {
      const n = BigInt.asIntN(64, v as bigint);
      return Number(n);
    }
    case 'uint32':
    case 'uint64':
      return Number(v as bigint);
    case 'double':
      return wire === 1 ? (v as Buffer).readDoubleLE(0) : 0;
    case 'float':
      return wire === 5 ? (v as Buffer).readFloatLE(0) : 0;
  }
  throw badRequest(`protobuf: unsupported scalar type ${type}`);
}

function readFields(buf: Buffer): Map<number, Raw[]> {
  const r = new Reader(buf);
  const out = new Map<number, Raw[]>();
  while (r.pos < buf.length) {
    const key = Number(r.varint());
    const field = key >>> 3;
    const wire = key & 7;
    let v: bigint | Buffer;
    if (wire === 0) v = r.varint();
    else if (wire === 2) v = r.bytes();
    else if (wire === 1) v = r.fixed(8);
    else if (wire === 5) v = r.fixed(4);
    else throw badRequest(`protobuf: unsupported wire type ${wire}`);
    const list = out.get(field) ?? [];
    list.push({ wire, v });
    out.set(field, list);
  }
  return out;
}

/** Well-known apimachinery messages whose JSON form is not an object. */
function special(type: string, buf: Buffer): { value: unknown } | undefined {
  switch (type) {
    case `${META}.Time`:
    case `${META}.MicroTime`: {
      const f = readFields(buf);
      const secs = Number(BigInt.asIntN(64, (f.get(1)?.[0]?.v as bigint) ?? 0n));
      const nanos = Number((f.get(2)?.[0]?.v as bigint) ?? 0n);
      if (!secs && !nanos) return { value: undefined };
      const iso = new Date(secs * 1000).toISOString().replace('.000Z', '');
      return {
        value: type.endsWith('MicroTime') ? `${iso}.${String(Math.floor(nanos / 1000)).padStart(6, '0')}Z` : `${iso}Z`,
      };
    }
    case `${META}.Duration`: {
      const ns = Number(BigInt.asIntN(64, (readFields(buf).get(1)?.[0]?.v as bigint) ?? 0n));
      return { value: `${ns / 1e9}s` };
    }
    case 'k8s.io.apimachinery.pkg.api.resource.Quantity':
      return { value: ((readFields(buf).get(1)?.[0]?.v as Buffer | undefined) ?? Buffer.alloc(0)).toString('utf8') };
    case 'k8s.io.apimachinery.pkg.util.intstr.IntOrString': {
      const f = readFields(buf);
      const t = Number((f.get(1)?.[0]?.v as bigint) ?? 0n);
      if (t === 1) return { value: ((f.get(3)?.[0]?.v as Buffer | undefined) ?? Buffer.alloc(0)).toString('utf8') };
      return { value: Number(BigInt.asIntN(32, (f.get(2)?.[0]?.v as bigint) ?? 0n)) };
    }
    case 'k8s.io.apimachinery.pkg.runtime.RawExtension': {
      const raw = readFields(buf).get(1)?.[0]?.v as Buffer | undefined;
      if (!raw || !raw.length) return { value: undefined };
      try {
        return { value: JSON.parse(raw.toString('utf8')) };
      } catch {
        throw badRequest('protobuf: an embedded object (RawExtension) is not JSON');
      }
    }
    case `${META}.FieldsV1`:
      return { value: undefined };
  }
  return undefined;
}

function value(type: string, raw: Raw): unknown {
  if (!type.includes('.')) return scalar(type, raw);
  if (!Buffer.isBuffer(raw.v)) throw badRequest(`protobuf: ${type} must be length-delimited`);
  const s = special(type, raw.v);
  if (s) return s.value;
  return message(type, raw.v);
}

function message(type: string, buf: Buffer): Obj {
  const fields: ProtoField[] | undefined = MESSAGES[type];
  if (!fields) throw badRequest(`protobuf: message ${type} is not known to this server`);
  const got = readFields(buf);
  const out: Obj = {};
  for (const [num, name, ftype, kind, flags] of fields) {
    const raws = got.get(num);
    if (!raws) continue;
    if (kind === 2) {
      const [kt, vt] = ftype.split(',') as [string, string];
      const m: Obj = {};
      for (const r of raws) {
        const e = readFields(r.v as Buffer);
        const k = e.get(1)?.[0];
        const v = e.get(2)?.[0];
        m[k ? String(value(kt, k)) : ''] = v ? value(vt, v) : vt === 'string' || vt === 'bytes' ? '' : {};
      }
      out[name] = m;
    } else if (kind === 1) {
      const list: unknown[] = [];
      for (const r of raws) {
        // A packed repeated scalar arrives as one length-delimited run of values.
        if (!ftype.includes('.') && ftype !== 'string' && ftype !== 'bytes' && r.wire === 2) {
          const pr = new Reader(r.v as Buffer);
          while (pr.pos < pr.buf.length)
            list.push(
              scalar(
                ftype,
                ftype === 'double'
                  ? { wire: 1, v: pr.fixed(8) }
                  : ftype === 'float'
                    ? { wire: 5, v: pr.fixed(4) }
                    : { wire: 0, v: pr.varint() },
              ),
            );
        } else list.push(value(ftype, r));
      }
      out[name] = list;
    } else {
      const v = value(ftype, raws[raws.length - 1]!);
      if (v === undefined) continue;
      // An embedded Go struct: its fields sit in the parent's JSON.
      if (flags === 1 && v !== null && typeof v === 'object') {
        Object.assign(out, v);
        continue;
      }
      // Go's protobuf writes non-pointer scalars even when zero; its JSON omits them (omitempty).
      if (flags === 2 && (v === '' || v === 0 || v === false)) continue;
      out[name] = v;
    }
  }
  return out;
}

/** Decodes an enveloped protobuf body into the object (with apiVersion and kind) it stands for. */
export function decodeK8sProtobuf(body: Buffer): Obj {
  if (body.length < 4 || body.subarray(0, 4).toString('latin1') !== 'k8s\u0000')
    throw badRequest('protobuf: missing the k8s envelope prefix');
  const u = message('k8s.io.apimachinery.pkg.runtime.Unknown', body.subarray(4));
  const tm = (u.typeMeta ?? u) as { apiVersion?: string; kind?: string };
  const apiVersion = tm.apiVersion ?? '';
  const kind = tm.kind ?? '';
  const [group, version] = apiVersion.includes('/') ? (apiVersion.split('/') as [string, string]) : ['', apiVersion];
  const raw = Buffer.from((u.raw as string | undefined) ?? '', 'base64');
  const type =
    kind === 'DeleteOptions'
      ? `${META}.DeleteOptions`
      : `k8s.io.api.${PACKAGE_OF_GROUP[group] ?? group}.${version}.${kind}`;
  if (!MESSAGES[type])
    throw badRequest(
      `protobuf: ${kind || 'an object'} in ${apiVersion || 'an unknown version'} cannot be read as protobuf by this server; send application/json`,
    );
  return { apiVersion, kind, ...message(type, raw) };
}
