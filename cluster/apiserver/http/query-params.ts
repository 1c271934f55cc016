// Query parameters parsed as apimachinery's url.Values conversions do (runtime/conversion.go):
// a boolean is false only for "0" or a case-insensitive "false" (so watch=True, watch=1, watch=t
// and even an empty value are true); an integer is Go's strconv.ParseInt(s, 10, 64), whose errors
// kube-apiserver returns verbatim as 400 BadRequest (`strconv.ParseInt: parsing "x": invalid syntax`).
import { badRequest } from '../status.js';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Convert_Slice_string_To_bool: absent is false; the first value decides. */
export function goBool(values: string[]): boolean {
  if (values.length === 0) return false;
  const v = values[0]!;
  return !(v === '0' || v.toLowerCase() === 'false');
}

export function queryBool(q: URLSearchParams, name: string): boolean {
  return goBool(q.getAll(name));
}

/** Convert_Slice_string_To_Pointer_bool: undefined when absent. */
export function queryOptionalBool(q: URLSearchParams, name: string): boolean | undefined {
  return q.has(name) ? goBool(q.getAll(name)) : undefined;
}

/** strconv.ParseInt(s, 10, 64) with Go's error text. */
export function parseGoInt64(s: string): number {
  if (!/^[+-]?[0-9]+$/.test(s)) throw badRequest(`strconv.ParseInt: parsing ${goQuote(s)}: invalid syntax`);
  const v = BigInt(s);
  if (v < INT64_MIN || v > INT64_MAX) throw badRequest(`strconv.ParseInt: parsing ${goQuote(s)}: value out of range`);
  return Number(v);
}

/** Convert_Slice_string_To_Pointer_int64: undefined when absent; the first value decides. */
export function queryOptionalInt64(q: URLSearchParams, name: string): number | undefined {
  const values = q.getAll(name);
  return values.length ? parseGoInt64(values[0]!) : undefined;
}

/** Convert_Slice_string_To_int64: 0 when absent. */
export function queryInt64(q: URLSearchParams, name: string): number {
  return queryOptionalInt64(q, name) ?? 0;
}

/** strconv.Quote for the strings a query can carry: printable characters kept, others escaped. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (c === 0x07) out += '\\a';
    else if (c === 0x08) out += '\\b';
    else if (c === 0x0c) out += '\\f';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x0b) out += '\\v';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else if (c >= 0x80 && c < 0xa0) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else if (c === 0xfffd && ch !== '\ufffd') out += '\\ufffd';
    else out += ch;
  }
  return `${out}"`;
}
