// What each served group-version contributes to the OpenAPI documents: its paths and the
// definitions they reach, as an OpenAPI v2 fragment. Built-in kinds take theirs from the vendored
// Kubernetes spec (only the resources and subresources this apiserver serves); custom resources
// bring fragments of their own (crd/).
import type { ResourceInfo } from '../resources.js';
import { refName, type Schema, type SwaggerSpec } from './vendored-spec.js';

export interface ApiFragment {
  group: string;
  version: string;
  paths: Record<string, Schema>;
  definitions: Record<string, Schema>;
}

export function gvPath(gv: { group: string; version: string }): string {
  return gv.group ? `apis/${gv.group}/${gv.version}` : `api/${gv.version}`;
}

/** The resource and subresource a spec path is about, or undefined for a discovery path. */
export function pathTarget(gvPrefix: string, path: string): { plural: string; sub: string } | undefined {
  let segs = path.slice(gvPrefix.length).split('/').filter(Boolean);
  if (segs[0] === 'watch') segs = segs.slice(1);
  if (segs[0] === 'namespaces' && segs[1] === '{namespace}' && segs.length > 2) segs = segs.slice(2);
  if (!segs.length) return undefined;
  const sub = segs.length >= 3 ? segs.slice(2).join('/') : '';
  return { plural: segs[0]!, sub };
}

/** Every definition reachable from `roots` through $ref (the closure a document must carry). */
export function reachableDefinitions(roots: unknown[], definitions: Record<string, Schema>): Record<string, Schema> {
  const out: Record<string, Schema> = {};
  const pending: unknown[] = [...roots];
  while (pending.length) {
    const v = pending.pop();
    if (Array.isArray(v)) pending.push(...v);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k === '$ref' && typeof x === 'string' && x.startsWith('#/definitions/')) {
          const name = refName(x);
          if (!out[name] && definitions[name]) {
            out[name] = definitions[name]!;
            pending.push(definitions[name]);
          }
        } else pending.push(x);
      }
    }
  }
  return out;
}

/**
 * The fragment of one built-in group-version: spec paths of the resources in `resources`, limited
 * to the subresources `served(r, sub)` says exist here, with the definitions they reach (shared
 * parameters inlined, so the fragment stands alone).
 */
export function builtinFragment(
  spec: SwaggerSpec,
  group: string,
  version: string,
  resources: ResourceInfo[],
  served: (r: ResourceInfo, sub: string) => boolean,
): ApiFragment {
  const prefix = `/${gvPath({ group, version })}/`;
  const byPlural = new Map(resources.map((r) => [r.plural, r]));
  const paths: Record<string, Schema> = {};
  for (const [path, item] of Object.entries(spec.paths)) {
    if (!path.startsWith(prefix)) continue;
    const t = pathTarget(prefix, path);
    if (t) {
      const r = byPlural.get(t.plural);
      if (!r || (t.sub && !served(r, t.sub))) continue;
    }
    paths[path] = inlineParameters(item, spec.parameters);
  }
  return { group, version, paths, definitions: reachableDefinitions([paths], spec.definitions) };
}

function inlineParameters(item: Schema, shared: Record<string, Schema>): Schema {
  const fix = (params: Schema[] | undefined) =>
    params?.map((p) =>
      typeof p.$ref === 'string' && p.$ref.startsWith('#/parameters/') ? (shared[refName(p.$ref)] ?? p) : p,
    );
  const out: Schema = {};
  for (const [k, v] of Object.entries(item)) {
    if (k === 'parameters') out[k] = fix(v as Schema[]);
    else if (v && typeof v === 'object' && !Array.isArray(v) && Array.isArray((v as Schema).parameters))
      out[k] = { ...v, parameters: fix((v as Schema).parameters) };
    else out[k] = v;
  }
  return out;
}
