// Encodes API objects as kube-apiserver's JSON serializer does (Go's encoding/json over the
// k8s.io/api structs): fields in struct order, `omitempty` fields dropped when empty, fields
// without it written even at their zero value (ReplicaSetStatus.replicas: 0, a DaemonSet's
// counters — typed clients require them), map keys sorted, <, >, & and U+2028/9 escaped, and the
// newline json.Encoder ends every value with. The struct table is generated from the Go types by
// scripts/gen-go-json-table.mjs; kinds it does not know (custom resources, aggregated discovery)
// keep their fields as stored.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

type GoType =
  | { k: 'basic'; zero: string | number | boolean }
  | { k: 'opaque'; zero: unknown; struct: boolean }
  | { k: 'bytes' }
  | { k: 'ptr' | 'slice' | 'map'; of: GoType }
  | { k: 'struct'; t: string };
type Field = [name: string, omitempty: 0 | 1, type: GoType];

interface Table {
  apiVersions: Record<string, string>;
  structs: Record<string, Field[]>;
}

let table: Table | undefined;

function goTable(): Table {
  if (!table) {
    // dist/ mirrors the source tree; the generated table stays in the source folder.
    const root = process.env.KUBEWIRE_ROOT ?? join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
    table = JSON.parse(
      readFileSync(join(root, 'cluster', 'apiserver', 'encoding', 'go-json-table.generated.json'), 'utf8'),
    ) as Table;
  }
  return table;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The Go struct an apiVersion/kind decodes into, e.g. `appsv1.DaemonSet`; undefined when unknown. */
export function goStructOf(apiVersion: unknown, kind: unknown): string | undefined {
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') return undefined;
  const t = goTable();
  const pkg = t.apiVersions[apiVersion];
  if (pkg && t.structs[`${pkg}.${kind}`]) return `${pkg}.${kind}`;
  // metav1's kinds (Status, APIGroupList, Table…) are served under v1 and meta.k8s.io/v1.
  if ((apiVersion === 'v1' || apiVersion === 'meta.k8s.io/v1') && t.structs[`metav1.${kind}`]) return `metav1.${kind}`;
  return undefined;
}

/** The object with Go's field order and omitempty rules applied; unknown kinds pass unchanged. */
export function goEncode(value: unknown): unknown {
  if (!isObj(value)) return value;
  const key = goStructOf(value.apiVersion, value.kind);
  return key ? encodeStruct(key, value) : value;
}

/** `value` encoded as the Go struct `key` (for objects whose TypeMeta was stripped, list items). */
export function goEncodeAs(key: string, value: unknown): unknown {
  return encodeStruct(key, value);
}

function encodeStruct(key: string, value: unknown): unknown {
  const fields = goTable().structs[key];
  if (!fields || (value !== undefined && value !== null && !isObj(value))) return value;
  const src = (value ?? {}) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [name, omitempty, type] of fields) {
    const v = encodeValue(type, src[name]);
    if (omitempty && isEmpty(type, v)) continue;
    out[name] = v;
  }
  // Fields the Go type does not have are kept (after the known ones) rather than pruned: the
  // store's schema check already refuses unknown fields on writes, so these come from kubewire.
  for (const k of Object.keys(src))
    if (!(k in out) && !fields.some((f) => f[0] === k) && src[k] !== undefined) out[k] = src[k];
  return out;
}

function encodeValue(type: GoType, v: unknown): unknown {
  switch (type.k) {
    case 'basic':
      return v === undefined || v === null ? type.zero : v;
    case 'opaque':
      return v === undefined || v === null ? type.zero : v;
    case 'bytes':
      return v ?? null;
    case 'ptr':
      return v === undefined || v === null ? null : encodeValue(type.of, v);
    case 'slice':
      return v === undefined || v === null ? null : Array.isArray(v) ? v.map((x) => encodeValue(type.of, x)) : v;
    case 'map':
      if (v === undefined || v === null) return null;
      if (!isObj(v)) return v;
      // encoding/json writes map keys sorted.
      return Object.fromEntries(
        Object.keys(v)
          .sort(byteOrder)
          .map((k) => [k, encodeValue(type.of, v[k])]),
      );
    case 'struct':
      return encodeStruct(type.t, v);
  }
}

const byteOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Go's isEmptyValue: false, 0, "", nil pointer, nil or empty slice/map; a struct never is. */
function isEmpty(type: GoType, v: unknown): boolean {
  switch (type.k) {
    case 'basic':
      return v === type.zero || v === '' || v === 0 || v === false;
    case 'opaque':
      return !type.struct && (v === null || v === '' || (Array.isArray(v) && v.length === 0));
    case 'ptr':
      return v === null;
    case 'bytes':
    case 'slice':
      return v === null || (Array.isArray(v) && v.length === 0) || v === '';
    case 'map':
      return v === null || (isObj(v) && Object.keys(v).length === 0);
    case 'struct':
      return false;
  }
}

const HTML_ESCAPES = /[<>&\u2028\u2029]/g;

/** The bytes json.NewEncoder(w).Encode(v) writes for an already Go-shaped value: HTML-safe, newline-terminated. */
export function goJsonText(value: unknown): string {
  return `${JSON.stringify(value).replace(HTML_ESCAPES, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}\n`;
}

/** kube-apiserver's response body for an API object or list. */
export function encodeForWire(value: unknown): string {
  return goJsonText(goEncode(value));
}
