// OpenAPI v3 component schemas of the served kinds, built from the API types' field table, so
// `kubectl explain` can walk fields and their types (the field table carries no descriptions).
import { MESSAGES } from '../protobuf/k8s-messages.generated.js';
import { jsonFields, LEAF_MESSAGES, messageOfKind } from '../protobuf/message-schema.js';
import type { ResourceInfo } from '../resources.js';

type Schema = Record<string, unknown>;

/** `k8s.io.api.core.v1.Pod` -> `io.k8s.api.core.v1.Pod`, the names kube-apiserver's documents use. */
export const schemaName = (message: string): string => message.replace(/^k8s\.io\./, 'io.k8s.');

const SCALARS: Record<string, Schema> = {
  string: { type: 'string' },
  bytes: { type: 'string', format: 'byte' },
  bool: { type: 'boolean' },
  int32: { type: 'integer', format: 'int32' },
  int64: { type: 'integer', format: 'int64' },
  uint32: { type: 'integer', format: 'int32' },
  uint64: { type: 'integer', format: 'int64' },
  double: { type: 'number', format: 'double' },
  float: { type: 'number', format: 'float' },
};

const LEAVES: Record<string, Schema> = {
  'k8s.io.apimachinery.pkg.apis.meta.v1.Time': { type: 'string', format: 'date-time' },
  'k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime': { type: 'string', format: 'date-time' },
  'k8s.io.apimachinery.pkg.apis.meta.v1.Duration': { type: 'string' },
  'k8s.io.apimachinery.pkg.api.resource.Quantity': { type: 'string' },
  'k8s.io.apimachinery.pkg.util.intstr.IntOrString': { type: 'string', format: 'int-or-string', 'x-kubernetes-int-or-string': true },
  'k8s.io.apimachinery.pkg.runtime.RawExtension': { type: 'object' },
  'k8s.io.apimachinery.pkg.apis.meta.v1.FieldsV1': { type: 'object' },
};

function typeSchema(type: string, into: Set<string>): Schema {
  if (SCALARS[type]) return SCALARS[type]!;
  if (LEAF_MESSAGES.has(type)) return LEAVES[type] ?? { type: 'object' };
  into.add(type);
  return { allOf: [{ $ref: `#/components/schemas/${schemaName(type)}` }], default: {} };
}

/** components.schemas for the kinds of one group-version and every type they reach. */
export function componentSchemas(resources: ResourceInfo[]): Record<string, Schema> {
  const out: Record<string, Schema> = {};
  const roots = new Map<string, ResourceInfo>();
  for (const r of resources) {
    const m = messageOfKind(r.group, r.version, r.kind);
    if (m) roots.set(m, r);
  }
  const pending = new Set<string>(roots.keys());
  const done = new Set<string>();
  while (pending.size) {
    const [message] = pending;
    pending.delete(message!);
    if (done.has(message!) || !MESSAGES[message!]) continue;
    done.add(message!);
    const refs = new Set<string>();
    const properties: Record<string, Schema> = {};
    const root = roots.get(message!);
    if (root) {
      properties.apiVersion = { type: 'string' };
      properties.kind = { type: 'string' };
    }
    for (const [name, f] of jsonFields(message!)) {
      if (f.kind === 2) properties[name] = { type: 'object', additionalProperties: typeSchema(f.type.split(',')[1]!, refs) };
      else if (f.kind === 1) properties[name] = { type: 'array', items: typeSchema(f.type, refs) };
      else properties[name] = typeSchema(f.type, refs);
    }
    const schema: Schema = { type: 'object', properties };
    if (root) schema['x-kubernetes-group-version-kind'] = [{ group: root.group, kind: root.kind, version: root.version }];
    out[schemaName(message!)] = schema;
    for (const r of refs) if (!done.has(r)) pending.add(r);
  }
  return out;
}
