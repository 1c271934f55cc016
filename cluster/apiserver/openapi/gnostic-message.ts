// The building blocks of gnostic's OpenAPI v2 protobuf (openapiv2/OpenAPIv2.proto) that
// v2-protobuf.ts assembles: a protobuf message writer (proto3 defaults are not written), Any (a
// value's YAML), NamedAny pairs, vendor extensions, ExternalDocs and Xml.
import { stringify } from 'yaml';
import type { Schema } from './vendored-spec.js';

/** One protobuf message being written: fields appended in order, nested messages as bytes. */
export class Msg {
  private parts: Buffer[] = [];

  private tag(field: number, wire: number): void {
    this.varint(BigInt((field << 3) | wire));
  }

  private varint(v: bigint): void {
    if (v < 0n) v = BigInt.asUintN(64, v);
    const bytes: number[] = [];
    do {
      let b = Number(v & 0x7fn);
      v >>= 7n;
      if (v > 0n) b |= 0x80;
      bytes.push(b);
    } while (v > 0n);
    this.parts.push(Buffer.from(bytes));
  }

  bytes(field: number, b: Buffer): void {
    this.tag(field, 2);
    this.varint(BigInt(b.length));
    this.parts.push(b);
  }

  /** A proto3 string: the empty string is the default and is not written. */
  string(field: number, v: unknown): void {
    if (typeof v === 'string' && v !== '') this.bytes(field, Buffer.from(v, 'utf8'));
  }

  strings(field: number, v: unknown): void {
    if (Array.isArray(v)) for (const s of v) if (typeof s === 'string') this.bytes(field, Buffer.from(s, 'utf8'));
  }

  bool(field: number, v: unknown): void {
    if (v === true) this.oneofBool(field, true);
  }

  /** A bool in a oneof: written even when false, since being set is what selects the case. */
  oneofBool(field: number, v: boolean): void {
    this.tag(field, 0);
    this.varint(v ? 1n : 0n);
  }

  int64(field: number, v: unknown): void {
    if (typeof v === 'number' && Number.isInteger(v) && v !== 0) {
      this.tag(field, 0);
      this.varint(BigInt(v));
    }
  }

  double(field: number, v: unknown): void {
    if (typeof v === 'number' && v !== 0) {
      this.tag(field, 1);
      const b = Buffer.alloc(8);
      b.writeDoubleLE(v);
      this.parts.push(b);
    }
  }

  message(field: number, m: Msg | undefined): void {
    if (m) this.bytes(field, m.done());
  }

  done(): Buffer {
    return Buffer.concat(this.parts);
  }
}

export const isObject = (v: unknown): v is Schema => typeof v === 'object' && v !== null && !Array.isArray(v);

/** gnostic's Any: the value's YAML (yaml.Marshal of the node). */
export function any(v: unknown): Msg {
  const m = new Msg();
  m.string(2, stringify(v));
  return m;
}

export function anys(m: Msg, field: number, v: unknown): void {
  if (Array.isArray(v)) for (const x of v) m.message(field, any(x));
}

export function named(name: string, value: Msg): Msg {
  const m = new Msg();
  m.string(1, name);
  m.message(2, value);
  return m;
}

/** The `x-` keys of an object as repeated NamedAny. */
export function extensions(m: Msg, field: number, o: Schema): void {
  for (const [k, v] of Object.entries(o)) if (k.startsWith('x-')) m.message(field, named(k, any(v)));
}

export function externalDocs(v: unknown): Msg | undefined {
  if (!isObject(v)) return undefined;
  const m = new Msg();
  m.string(1, v.description);
  m.string(2, v.url);
  extensions(m, 3, v);
  return m;
}

export function xml(v: unknown): Msg | undefined {
  if (!isObject(v)) return undefined;
  const m = new Msg();
  m.string(1, v.name);
  m.string(2, v.namespace);
  m.string(3, v.prefix);
  m.bool(4, v.attribute);
  m.bool(5, v.wrapped);
  extensions(m, 6, v);
  return m;
}
