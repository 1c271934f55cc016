// Strict field validation: the dotted paths (`spec.template.spec.containers[0].imagee`) of fields
// an object carries that its kind does not declare, checked against the API types' field table.
import { isMessage, jsonFields, messageOfKind } from '../protobuf/message-schema.js';
import type { ResourceInfo } from '../resources.js';

export function unknownFields(r: Pick<ResourceInfo, 'group' | 'version' | 'kind'>, obj: unknown): string[] {
  const root = messageOfKind(r.group, r.version, r.kind);
  if (!root || !obj || typeof obj !== 'object') return [];
  const out: string[] = [];
  const top = obj as Record<string, unknown>;
  for (const [k, v] of Object.entries(top)) {
    if (k === 'apiVersion' || k === 'kind') continue;
    check(root, k, v, k, out);
  }
  return out;
}

function check(message: string, key: string, value: unknown, path: string, out: string[]): void {
  const f = jsonFields(message).get(key);
  if (!f) {
    out.push(path);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  if (f.kind === 2) {
    const vt = f.type.split(',')[1]!;
    if (isMessage(vt)) for (const [k, v] of Object.entries(value)) walk(vt, v, `${path}[${k}]`, out);
  } else if (f.kind === 1) {
    if (isMessage(f.type) && Array.isArray(value)) value.forEach((e, i) => walk(f.type, e, `${path}[${i}]`, out));
  } else if (isMessage(f.type)) {
    walk(f.type, value, path, out);
  }
}

function walk(message: string, value: unknown, path: string, out: string[]): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return;
  for (const [k, v] of Object.entries(value)) check(message, k, v, `${path}.${k}`, out);
}
