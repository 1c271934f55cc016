// Strategic merge patch (application/strategic-merge-patch+json), the server side of what
// `kubectl apply/edit/patch` send: maps merge, null deletes, lists with a merge key merge element
// by element, and the directives $patch (replace/delete/merge), $retainKeys,
// $setElementOrder/<list> and $deleteFromPrimitiveList/<list>.
import { PatchError } from './json-patch.js';
import type { FieldMeta, TypeMeta } from './patch-meta.js';

type Obj = Record<string, any>;

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

export function applyStrategicMergePatch(original: Obj, patch: unknown, meta: TypeMeta): Obj {
  if (!isObj(patch)) throw new PatchError('strategic merge patch must be a JSON object');
  return mergeMap(structuredClone(original ?? {}), patch, meta) ?? {};
}

function mergeMap(orig: Obj, patch: Obj, meta: TypeMeta | undefined): Obj | undefined {
  const directive = patch.$patch;
  if (directive === 'delete') return undefined;
  if (directive === 'replace') {
    const { $patch: _, ...rest } = patch;
    return stripDirectives(rest);
  }
  if (directive !== undefined && directive !== 'merge')
    throw new PatchError(`Unknown patch type: ${String(directive)}`);
  const out: Obj = isObj(orig) ? orig : {};
  const orders: [string, unknown[]][] = [];
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys') continue;
    if (k.startsWith('$setElementOrder/')) {
      if (!Array.isArray(v)) throw new PatchError(`${k} must be a list`);
      orders.push([k.slice('$setElementOrder/'.length), v]);
      continue;
    }
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const field = k.slice('$deleteFromPrimitiveList/'.length);
      if (!Array.isArray(v)) throw new PatchError(`${k} must be a list`);
      if (Array.isArray(out[field])) out[field] = out[field].filter((x: unknown) => !v.some((d) => d === x));
      continue;
    }
    if (k.startsWith('$')) throw new PatchError(`unknown patch directive ${k}`);
    const fm: FieldMeta | undefined = meta?.[k];
    if (v === null) {
      delete out[k];
    } else if (isObj(v)) {
      const merged = mergeMap(isObj(out[k]) ? out[k] : {}, v, fm?.fields);
      if (merged === undefined) delete out[k];
      else
        out[k] =
          fm?.strategy?.includes('retainKeys') && Array.isArray(v.$retainKeys) ? retain(merged, v.$retainKeys) : merged;
    } else if (Array.isArray(v)) {
      out[k] = fm?.strategy?.includes('merge')
        ? mergeList(Array.isArray(out[k]) ? out[k] : [], v, fm)
        : stripDirectives(v);
    } else {
      out[k] = v;
    }
  }
  if (Array.isArray(patch.$retainKeys)) retain(out, patch.$retainKeys);
  for (const [field, order] of orders) {
    if (Array.isArray(out[field])) out[field] = reorder(out[field], order, meta?.[field]?.mergeKey);
  }
  return out;
}

function retain(obj: Obj, keys: unknown[]): Obj {
  for (const k of Object.keys(obj)) if (!keys.includes(k)) delete obj[k];
  return obj;
}

function mergeList(orig: unknown[], patch: unknown[], fm: FieldMeta): unknown[] {
  const key = fm.mergeKey;
  if (!key) {
    // A primitive list with strategy merge: union, keeping the original order.
    const out = [...orig];
    for (const v of patch) if (!out.some((x) => x === v)) out.push(v);
    return out;
  }
  if (patch.some((e) => isObj(e) && e.$patch === 'replace')) {
    return stripDirectives(patch.filter((e) => !(isObj(e) && e.$patch === 'replace'))) as unknown[];
  }
  const out = orig.map((e) => structuredClone(e));
  for (const p of patch) {
    if (!isObj(p)) throw new PatchError(`list element must be an object with merge key "${key}"`);
    if (!(key in p)) throw new PatchError(`map: ${JSON.stringify(p)} does not contain declared merge key: ${key}`);
    const idx = out.findIndex((e) => isObj(e) && e[key] === p[key]);
    if (p.$patch === 'delete') {
      if (idx >= 0) out.splice(idx, 1);
      continue;
    }
    if (idx >= 0) {
      const merged = mergeMap(out[idx] as Obj, p, fm.fields);
      const withRetain =
        fm.strategy?.includes('retainKeys') && Array.isArray(p.$retainKeys) && merged
          ? retain(merged, p.$retainKeys)
          : merged;
      if (withRetain === undefined) out.splice(idx, 1);
      else out[idx] = withRetain;
    } else {
      const fresh = mergeMap({}, p, fm.fields);
      if (fresh !== undefined) out.push(fresh);
    }
  }
  return out;
}

/** Orders `list` as `order` says; elements the order does not name keep their place after the named ones. */
function reorder(list: unknown[], order: unknown[], key: string | undefined): unknown[] {
  const id = (e: unknown) => (key && isObj(e) ? e[key] : e);
  const wanted = order.map((o) => (key && isObj(o) ? o[key] : o));
  const named = wanted.map((w) => list.find((e) => id(e) === w)).filter((e) => e !== undefined);
  const rest = list.filter((e) => !wanted.includes(id(e)));
  return [...named, ...rest];
}

function stripDirectives<T>(v: T): T {
  if (Array.isArray(v)) return v.map(stripDirectives) as T;
  if (!isObj(v)) return v;
  const out: Obj = {};
  for (const [k, x] of Object.entries(v)) if (!k.startsWith('$')) out[k] = stripDirectives(x);
  return out as T;
}
