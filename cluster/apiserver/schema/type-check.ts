// Decoding checks: a field whose JSON type does not fit the API type (a string where an object
// belongs, a number for a list…) is refused with 400 the way kube-apiserver's JSON decoder words it,
// before anything else looks at the object.
import { isMessage, jsonFields, messageOfKind } from '../protobuf/message-schema.js';
import type { ResourceInfo } from '../resources.js';
import { badRequest } from '../status.js';

const INT = /^(u?int(32|64)|sint(32|64)|fixed(32|64))$/;

function goType(type: string): string {
  if (INT.test(type)) return type.replace(/^s/, '').replace(/^fixed/, 'uint');
  if (type === 'bool') return 'bool';
  if (type === 'double' || type === 'float') return type === 'double' ? 'float64' : 'float32';
  if (type === 'bytes') return '[]uint8';
  if (type === 'string') return 'string';
  const parts = type.split('.');
  return `${parts[parts.length - 2]}.${parts[parts.length - 1]}`;
}

function jsonType(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return 'number';
  return typeof v;
}

function fits(type: string, v: unknown): boolean {
  if (v === null) return true;
  switch (type) {
    case 'string':
    case 'bytes':
      return typeof v === 'string';
    case 'bool':
      return typeof v === 'boolean';
    case 'double':
    case 'float':
      return typeof v === 'number';
    case 'k8s.io.apimachinery.pkg.util.intstr.IntOrString':
      return typeof v === 'string' || Number.isInteger(v);
    case 'k8s.io.apimachinery.pkg.api.resource.Quantity':
      return typeof v === 'string' || typeof v === 'number';
    case 'k8s.io.apimachinery.pkg.apis.meta.v1.Time':
    case 'k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime':
    case 'k8s.io.apimachinery.pkg.apis.meta.v1.Duration':
      return typeof v === 'string';
    case 'k8s.io.apimachinery.pkg.runtime.RawExtension':
    case 'k8s.io.apimachinery.pkg.apis.meta.v1.FieldsV1':
      return true;
  }
  if (INT.test(type)) return Number.isInteger(v);
  return typeof v === 'object' && !Array.isArray(v);
}

/** Throws 400 BadRequest at the first field whose value cannot be decoded into its API type. */
export function checkTypes(r: Pick<ResourceInfo, 'group' | 'version' | 'kind'>, obj: Record<string, unknown>): void {
  const root = messageOfKind(r.group, r.version, r.kind);
  if (!root) return;
  const fail = (path: string, v: unknown, type: string): never => {
    throw badRequest(
      `${r.kind} in version "${r.version}" cannot be handled as a ${r.kind}: json: cannot unmarshal ${jsonType(v)} into Go struct field ${r.kind}.${path} of type ${type}`,
    );
  };
  const walk = (message: string, value: Record<string, unknown>, path: string) => {
    const fields = jsonFields(message);
    for (const [k, v] of Object.entries(value)) {
      const f = fields.get(k);
      if (!f || v === null || v === undefined) continue;
      const p = path ? `${path}.${k}` : k;
      if (f.kind === 1) {
        if (!Array.isArray(v)) fail(p, v, `[]${goType(f.type)}`);
        (v as unknown[]).forEach((e) => {
          if (!fits(f.type, e)) fail(p, e, goType(f.type));
          if (isMessage(f.type) && e) walk(f.type, e as Record<string, unknown>, p);
        });
      } else if (f.kind === 2) {
        const [kt, vt] = f.type.split(',') as [string, string];
        if (typeof v !== 'object' || Array.isArray(v)) fail(p, v, `map[${goType(kt)}]${goType(vt)}`);
        for (const e of Object.values(v as object)) {
          if (!fits(vt, e)) fail(p, e, goType(vt));
          if (isMessage(vt) && e) walk(vt, e as Record<string, unknown>, p);
        }
      } else {
        if (!fits(f.type, v)) fail(p, v, goType(f.type));
        if (isMessage(f.type)) walk(f.type, v as Record<string, unknown>, p);
      }
    }
  };
  walk(root, obj, '');
}
