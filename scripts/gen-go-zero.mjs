#!/usr/bin/env node
// Generates cluster/apiserver/apply/go-zero.generated.ts: for each API struct (by its OpenAPI
// definition name), the JSON fields a *zero* Go value of it still has once converted to
// unstructured — non-pointer structs ({} and their own such fields), and fields without
// omitempty (null for pointers/slices/maps, the zero scalar otherwise). kube-apiserver's field
// manager compares a created object against exactly that zero object, which decides where
// managedFields carry a "." entry; server-side apply needs the same to write the same fieldsV1.
//
// usage: node scripts/gen-go-zero.mjs <kubernetes/api> <kubernetes/apimachinery> [git ref, default HEAD]
// (checkouts or bare mirrors of the staging repositories at the v0.32.x tag matching the spec).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

const [apiDir, machineryDir, ref = 'HEAD'] = process.argv.slice(2);
if (!apiDir || !machineryDir) {
  console.error('usage: node scripts/gen-go-zero.mjs <kubernetes/api> <kubernetes/apimachinery> [ref]');
  process.exit(2);
}
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const spec = JSON.parse(
  gunzipSync(readFileSync(join(root, 'cluster/apiserver/openapi/spec/swagger.json.gz'))).toString(),
);

function read(repo, path) {
  const p = join(repo, path);
  if (ref === 'HEAD' && existsSync(p)) return readFileSync(p, 'utf8');
  return execFileSync('git', ['-C', repo, 'show', `${ref}:${path}`], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
}

const PACKAGES = [
  [machineryDir, 'pkg/apis/meta/v1', 'k8s.io/apimachinery/pkg/apis/meta/v1', 'io.k8s.apimachinery.pkg.apis.meta.v1'],
  ...[
    'core/v1',
    'apps/v1',
    'batch/v1',
    'coordination/v1',
    'discovery/v1',
    'networking/v1',
    'rbac/v1',
    'authorization/v1',
    'autoscaling/v1',
    'policy/v1',
    'apiregistration/v1',
  ].map((d) => [apiDir, d, `k8s.io/api/${d}`, `io.k8s.api.${d.replace('/', '.')}`]),
];
const defOfPkg = Object.fromEntries(PACKAGES.map(([, , pkg, def]) => [pkg, def]));
defOfPkg['k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1'] =
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1';

// Types whose JSON form is a scalar: what their zero value marshals to.
const SCALAR_STRUCTS = {
  'io.k8s.apimachinery.pkg.apis.meta.v1.Time': null,
  'io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime': null,
  'io.k8s.apimachinery.pkg.apis.meta.v1.Duration': '0s',
  'io.k8s.apimachinery.pkg.api.resource.Quantity': '0',
  'io.k8s.apimachinery.pkg.util.intstr.IntOrString': 0,
  'io.k8s.apimachinery.pkg.runtime.RawExtension': null,
  'io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1': null,
};
const IMPORT_DEFS = {
  'k8s.io/apimachinery/pkg/api/resource': 'io.k8s.apimachinery.pkg.api.resource',
  'k8s.io/apimachinery/pkg/util/intstr': 'io.k8s.apimachinery.pkg.util.intstr',
  'k8s.io/apimachinery/pkg/runtime': 'io.k8s.apimachinery.pkg.runtime',
};

/** def name -> [{json, type (Go), omitempty, inline, imports}] */
const structs = {};
/** def name -> json field -> the +default= marker's value (what a missing list key means). */
const defaults = {};
for (const [repo, dir, , defPrefix] of PACKAGES) {
  let text;
  try {
    text = read(repo, `${dir}/types.go`);
  } catch {
    continue;
  }
  const imports = {};
  for (const m of text.matchAll(/^\s*(\w+)?\s*"([\w./-]+)"\s*$/gm)) imports[m[1] ?? m[2].split('/').pop()] = m[2];
  let current = '';
  let pendingDefault;
  for (const line of text.split('\n')) {
    const dm = /^\t\/\/\s*\+default=(.+)$/.exec(line);
    if (dm) {
      try {
        pendingDefault = JSON.parse(dm[1]);
      } catch {
        pendingDefault = undefined;
      }
      continue;
    }
    if (!/^\t\/\//.test(line) && !/^\s*$/.test(line) && current) {
      const name = /json:"([^",]+)/.exec(line)?.[1];
      if (pendingDefault !== undefined && name) (defaults[current] ??= {})[name] = pendingDefault;
      pendingDefault = undefined;
    }
    const t = /^type (\w+) struct \{/.exec(line);
    if (t) {
      current = `${defPrefix}.${t[1]}`;
      structs[current] = { fields: [], imports, defPrefix };
      continue;
    }
    if (/^\}/.test(line)) current = '';
    if (!current) continue;
    const emb = /^\t([\w.]+)\s+`json:"([^",]*)((?:,\w+)*)"/.exec(line);
    const f = /^\t\w+\s+([\w.\[\]*]+)\s+`json:"([^",]*)((?:,\w+)*)"/.exec(line);
    if (emb && !f)
      structs[current].fields.push(
        emb[2]
          ? { type: emb[1], json: emb[2], omitempty: emb[3].includes('omitempty') }
          : { type: emb[1], json: '', inline: true },
      );
    else if (f && f[2] !== '-')
      structs[current].fields.push({
        type: f[1],
        json: f[2],
        omitempty: f[3].includes('omitempty'),
        inline: f[2] === '' && f[3].includes('inline'),
      });
  }
}

function resolveDef(goType, s) {
  const [q, name] = goType.includes('.') ? goType.split('.') : [undefined, goType];
  if (!q) return `${s.defPrefix}.${name}`;
  const pkg = s.imports[q];
  const prefix = defOfPkg[pkg] ?? IMPORT_DEFS[pkg];
  return prefix ? `${prefix}.${name}` : undefined;
}

const isStructDef = (def) =>
  !!structs[def] || (spec.definitions[def]?.type === 'object' && spec.definitions[def]?.properties);

/** json name -> 's' (a struct: {} with its own zero fields) or the zero JSON value. */
function zeroFields(def, out = {}) {
  const s = structs[def];
  if (!s) return out;
  const props = spec.definitions[def]?.properties ?? {};
  for (const f of s.fields) {
    if (f.inline) {
      const d = resolveDef(f.type, s);
      if (d) zeroFields(d, out);
      continue;
    }
    if (f.type.startsWith('*') || f.type.startsWith('[]') || f.type.startsWith('map[')) {
      if (!f.omitempty) out[f.json] = null;
      continue;
    }
    const d = resolveDef(f.type, s);
    if (d && d in SCALAR_STRUCTS) out[f.json] = SCALAR_STRUCTS[d];
    else if (d && isStructDef(d)) out[f.json] = 's';
    else if (!f.omitempty) {
      const t = props[f.json]?.type;
      out[f.json] = t === 'integer' || t === 'number' ? 0 : t === 'boolean' ? false : '';
    }
  }
  return out;
}

// Struct types a zero struct field points at (they must be in the table too).
const table = {};
for (const def of Object.keys(structs).sort()) {
  if (!spec.definitions[def]) continue;
  const z = zeroFields(def);
  if (Object.keys(z).length) table[def] = z;
}
for (const [def, z] of Object.entries(table)) {
  for (const [k, v] of Object.entries(z)) {
    if (v !== 's') continue;
    const s = structs[def];
    const f = s?.fields.find((x) => x.json === k);
    const target = f ? resolveDef(f.type, s) : undefined;
    z[k] = target && table[target] ? `s:${target}` : 's:';
  }
}
// Defaults of list-map keys only: what server-side apply reads when an item omits a key field.
const keyDefaults = {};
for (const d of Object.values(spec.definitions)) {
  for (const p of Object.values(d.properties ?? {})) {
    const item = p.items?.$ref?.split('/').pop();
    for (const k of p['x-kubernetes-list-map-keys'] ?? []) {
      const v =
        defaults[item]?.[k] ??
        (table[item]?.[k] !== undefined && typeof table[item][k] !== 'string'
          ? table[item][k]
          : table[item]?.[k] === ''
            ? ''
            : undefined);
      if (v !== undefined) (keyDefaults[item] ??= {})[k] = v;
    }
  }
}
const out = join(root, 'cluster/apiserver/apply/go-zero.generated.ts');
const body = Object.entries(table)
  .map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)},`)
  .join('\n');
writeFileSync(
  out,
  `// Generated by scripts/gen-go-zero.mjs from the Kubernetes API's Go types (Apache-2.0, The
// Kubernetes Authors). Do not edit: regenerate. definition -> JSON field of a zero Go value ->
// "s:<definition>" (a struct, present as an object with that definition's own zero fields) or the
// zero JSON value (null for a pointer/slice/map without omitempty).
export const GO_ZERO: Record<string, Record<string, string | number | boolean | null>> = {
${body}
};

/** Values of list-map key fields an item may omit (+default markers, else the Go zero value). */
export const KEY_DEFAULTS: Record<string, Record<string, unknown>> = ${JSON.stringify(keyDefaults, null, 1).replace(/\n\s*/g, ' ')};
`,
);
console.error(`wrote ${Object.keys(table).length} types to ${out}`);
