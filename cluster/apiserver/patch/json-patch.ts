// RFC 6902 JSON Patch (application/json-patch+json): add, remove, replace, move, copy, test, with
// RFC 6901 pointers. A failed operation throws and leaves the input untouched (we work on a copy).
import { isDeepStrictEqual } from 'node:util';

export class PatchError extends Error {}

type J = any;

function parsePointer(p: string): string[] {
  if (p === '') return [];
  if (!p.startsWith('/')) throw new PatchError(`invalid JSON pointer "${p}"`);
  return p
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentOf(doc: J, path: string[], op: string): { parent: J; key: string } {
  let cur = doc;
  for (const seg of path.slice(0, -1)) {
    if (cur === null || typeof cur !== 'object')
      throw new PatchError(`${op} operation does not apply: doc is missing path: "/${path.join('/')}"`);
    cur = Array.isArray(cur) ? cur[Number(seg)] : cur[seg];
    if (cur === undefined)
      throw new PatchError(`${op} operation does not apply: doc is missing path: "/${path.join('/')}"`);
  }
  if (cur === null || typeof cur !== 'object')
    throw new PatchError(`${op} operation does not apply: doc is missing path: "/${path.join('/')}"`);
  return { parent: cur, key: path[path.length - 1]! };
}

function arrayIndex(arr: J[], key: string, allowEnd: boolean, op: string): number {
  if (allowEnd && key === '-') return arr.length;
  if (!/^(0|[1-9]\d*)$/.test(key)) throw new PatchError(`${op} operation: invalid array index "${key}"`);
  const i = Number(key);
  if (i > arr.length || (!allowEnd && i >= arr.length))
    throw new PatchError(`${op} operation: array index ${i} out of bounds`);
  return i;
}

function getAt(doc: J, path: string[], op: string): J {
  if (path.length === 0) return doc;
  const { parent, key } = parentOf(doc, path, op);
  const v = Array.isArray(parent) ? parent[arrayIndex(parent, key, false, op)] : parent[key];
  if (v === undefined)
    throw new PatchError(`${op} operation does not apply: doc is missing path: "/${path.join('/')}"`);
  return v;
}

function removeAt(doc: J, path: string[], op: string): J {
  const { parent, key } = parentOf(doc, path, op);
  if (Array.isArray(parent)) return parent.splice(arrayIndex(parent, key, false, op), 1)[0];
  if (!(key in parent))
    throw new PatchError(`${op} operation does not apply: doc is missing key: "/${path.join('/')}"`);
  const v = parent[key];
  delete parent[key];
  return v;
}

function addAt(doc: J, path: string[], value: J, op: string): J {
  if (path.length === 0) return value;
  const { parent, key } = parentOf(doc, path, op);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, true, op), 0, value);
  else parent[key] = value;
  return doc;
}

export function applyJsonPatch(original: J, patch: unknown): J {
  if (!Array.isArray(patch)) throw new PatchError('json patch must be an array of operations');
  let doc = structuredClone(original);
  patch.forEach((o: J, i: number) => {
    if (!o || typeof o !== 'object' || typeof o.op !== 'string' || typeof o.path !== 'string')
      throw new PatchError(`operation ${i}: needs "op" and "path"`);
    const path = parsePointer(o.path);
    switch (o.op) {
      case 'add':
        if (!('value' in o)) throw new PatchError(`operation ${i}: add needs "value"`);
        doc = addAt(doc, path, structuredClone(o.value), 'add');
        break;
      case 'remove':
        removeAt(doc, path, 'remove');
        break;
      case 'replace':
        if (!('value' in o)) throw new PatchError(`operation ${i}: replace needs "value"`);
        if (path.length === 0) doc = structuredClone(o.value);
        else {
          getAt(doc, path, 'replace');
          const { parent, key } = parentOf(doc, path, 'replace');
          if (Array.isArray(parent)) parent[arrayIndex(parent, key, false, 'replace')] = structuredClone(o.value);
          else parent[key] = structuredClone(o.value);
        }
        break;
      case 'move': {
        const from = parsePointer(String(o.from ?? ''));
        const v = removeAt(doc, from, 'move');
        doc = addAt(doc, path, v, 'move');
        break;
      }
      case 'copy': {
        const v = getAt(doc, parsePointer(String(o.from ?? '')), 'copy');
        doc = addAt(doc, path, structuredClone(v), 'copy');
        break;
      }
      case 'test':
        if (!isDeepStrictEqual(getAt(doc, path, 'test'), o.value))
          throw new PatchError(`testing value ${o.path} failed: test failed`);
        break;
      default:
        throw new PatchError(`Unexpected kind: ${o.op}`);
    }
  });
  return doc;
}
