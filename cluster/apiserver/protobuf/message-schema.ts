// The API types' shapes, read from the generated field table: which JSON fields a kind's object
// has (embedded structs flattened, as JSON inlines them) and of which type. Used by strict field
// validation and the OpenAPI v3 documents.
import { MESSAGES } from './k8s-messages.generated.js';

export interface JsonField {
  type: string;
  /** 0 single, 1 list, 2 map ("key,value" in type). */
  kind: 0 | 1 | 2;
}

/** The Go package (k8s.io/api/<package>) that holds an API group's messages. */
export const PACKAGE_OF_GROUP: Record<string, string> = {
  '': 'core',
  apps: 'apps',
  batch: 'batch',
  'coordination.k8s.io': 'coordination',
  'discovery.k8s.io': 'discovery',
  'networking.k8s.io': 'networking',
  'rbac.authorization.k8s.io': 'rbac',
  'authorization.k8s.io': 'authorization',
  'authentication.k8s.io': 'authentication',
  'certificates.k8s.io': 'certificates',
  autoscaling: 'autoscaling',
  policy: 'policy',
  'scheduling.k8s.io': 'scheduling',
};

/** Messages whose JSON form is a scalar or free-form (no fields to check). */
export const LEAF_MESSAGES = new Set([
  'k8s.io.apimachinery.pkg.apis.meta.v1.Time',
  'k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime',
  'k8s.io.apimachinery.pkg.apis.meta.v1.Duration',
  'k8s.io.apimachinery.pkg.api.resource.Quantity',
  'k8s.io.apimachinery.pkg.util.intstr.IntOrString',
  'k8s.io.apimachinery.pkg.runtime.RawExtension',
  'k8s.io.apimachinery.pkg.apis.meta.v1.FieldsV1',
]);

export function messageOfKind(group: string, version: string, kind: string): string | undefined {
  const name = `k8s.io.api.${PACKAGE_OF_GROUP[group] ?? group}.${version}.${kind}`;
  return MESSAGES[name] ? name : undefined;
}

const cache = new Map<string, Map<string, JsonField>>();

/** JSON field name -> type, with embedded messages' fields lifted into their parent. */
export function jsonFields(message: string): Map<string, JsonField> {
  const hit = cache.get(message);
  if (hit) return hit;
  const out = new Map<string, JsonField>();
  for (const [, name, type, kind, flags] of MESSAGES[message] ?? []) {
    if (flags === 1) for (const [k, v] of jsonFields(type)) out.set(k, v);
    else out.set(name, { type, kind });
  }
  cache.set(message, out);
  return out;
}

export const isMessage = (type: string): boolean => type.includes('.') && !LEAF_MESSAGES.has(type);
