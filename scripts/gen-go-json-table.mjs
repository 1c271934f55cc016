#!/usr/bin/env node
// Generates cluster/apiserver/encoding/go-json-table.generated.json from the Go types that
// kube-apiserver v1.32 encodes (k8s.io/api and k8s.io/apimachinery's meta/v1 at v0.32.x): for every
// struct, its JSON fields in declaration order (Go's encoding/json order, embedded ",inline" structs
// flattened where they are embedded), whether each is `omitempty`, and the field's type, so the
// apiserver can encode objects as Go does (zero counters written, empty values dropped). The table
// is generated, not hand-listed: rerun this after bumping the Kubernetes version.
//
// Usage: node scripts/gen-go-json-table.mjs <kubernetes/api git dir> <kubernetes/apimachinery git dir> [tag]
// (git dirs from a clone or a mirror; the tag defaults to v0.32.9, the k8s.io/api of Kubernetes 1.32.9).
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const [apiDir, machineryDir, tag = 'v0.32.9'] = process.argv.slice(2);
if (!apiDir || !machineryDir) {
  console.error('usage: gen-go-json-table.mjs <k8s.io/api git dir> <k8s.io/apimachinery git dir> [tag]');
  process.exit(2);
}

// Go package folder → API group, where they differ.
const GROUPS = {
  coordination: 'coordination.k8s.io',
  discovery: 'discovery.k8s.io',
  networking: 'networking.k8s.io',
  rbac: 'rbac.authorization.k8s.io',
  authorization: 'authorization.k8s.io',
  authentication: 'authentication.k8s.io',
  storage: 'storage.k8s.io',
  scheduling: 'scheduling.k8s.io',
  node: 'node.k8s.io',
  events: 'events.k8s.io',
  certificates: 'certificates.k8s.io',
  admissionregistration: 'admissionregistration.k8s.io',
  flowcontrol: 'flowcontrol.apiserver.k8s.io',
};

// Go package → the files holding its types, and the OpenAPI-style prefix used as the table key.
const PACKAGES = [
  { repo: machineryDir, path: 'pkg/apis/meta/v1/types.go', apiVersion: 'meta.k8s.io/v1', alias: 'metav1' },
  ...[
    'core/v1',
    'apps/v1',
    'batch/v1',
    'coordination/v1',
    'discovery/v1',
    'networking/v1',
    'rbac/v1',
    'authorization/v1',
    'authentication/v1',
    'policy/v1',
    'autoscaling/v1',
    'autoscaling/v2',
    'storage/v1',
    'scheduling/v1',
    'node/v1',
    'events/v1',
    'certificates/v1',
    'admissionregistration/v1',
    'flowcontrol/v1',
  ].map((gv) => ({
    repo: apiDir,
    path: `${gv}/types.go`,
    apiVersion: gv === 'core/v1' ? 'v1' : `${GROUPS[gv.split('/')[0]] ?? gv.split('/')[0]}/${gv.split('/')[1]}`,
    alias: gv.replace('/', ''),
  })),
];

// Types with their own MarshalJSON: encoded as opaque values; `zero` is what Go writes for the
// zero value (metav1.Time's MarshalJSON writes null, resource.Quantity "0", IntOrString 0, ...).
const OPAQUE = {
  'metav1.Time': { zero: null, struct: true },
  'metav1.MicroTime': { zero: null, struct: true },
  'metav1.Duration': { zero: '0s', struct: true },
  'metav1.FieldsV1': { zero: null, struct: true },
  'resource.Quantity': { zero: '0', struct: true },
  'intstr.IntOrString': { zero: 0, struct: true },
  'runtime.RawExtension': { zero: null, struct: true },
  'types.UID': { zero: '', struct: false },
  'metav1.Verbs': { zero: null, struct: false },
};
const BASIC = { string: '', bool: false, int: 0, int32: 0, int64: 0, uint64: 0, float64: 0, byte: 0 };

const git = (dir, path) =>
  execFileSync('git', ['--git-dir', existsGitDir(dir), 'show', `${tag}:${path}`], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
function existsGitDir(dir) {
  try {
    execFileSync('git', ['--git-dir', join(dir, '.git'), 'rev-parse'], { stdio: 'ignore' });
    return join(dir, '.git');
  } catch {
    return dir;
  }
}

const structs = {}; // key → [{ name, omitempty, type }] or { inline: key }
const named = {}; // key → underlying type string (non-struct named types)

for (const p of PACKAGES) {
  const src = git(p.repo, p.path).replace(/\/\/.*$/gm, '');
  const qualify = (t) => qualifyType(t, p);
  for (const m of src.matchAll(/^type (\w+) struct \{([\s\S]*?)^\}/gm)) {
    const fields = [];
    for (const line of m[2].split('\n')) {
      const f = line.match(/^\s*(?:(\w+)\s+)?([*\[\]\w.]+(?:\[[\w.]+\][*\[\]\w.]+)?)\s+`([^`]*)`/);
      if (!f) continue;
      const tag = (f[3].match(/json:"([^"]*)"/) ?? [])[1];
      if (tag === undefined || tag === '-') continue;
      const [jsonName, ...opts] = tag.split(',');
      if (!f[1] && (opts.includes('inline') || !jsonName)) {
        fields.push({ inline: qualify(f[2].replace(/^\*/, '')) });
        continue;
      }
      fields.push({ name: jsonName || f[1], omitempty: opts.includes('omitempty'), type: qualify(f[2]) });
    }
    structs[`${p.alias}.${m[1]}`] = fields;
  }
  for (const m of src.matchAll(/^type (\w+) ([*\[\]\w.]+(?:\[[\w.]+\][*\[\]\w.]+)?)\s*$/gm)) {
    if (m[2] === 'struct') continue;
    named[`${p.alias}.${m[1]}`] = qualify(m[2]);
  }
}

function qualifyType(t, p) {
  if (t.startsWith('*')) return `*${qualifyType(t.slice(1), p)}`;
  if (t.startsWith('[]')) return `[]${qualifyType(t.slice(2), p)}`;
  const map = t.match(/^map\[([\w.]+)\](.+)$/);
  if (map) return `map[${qualifyType(map[1], p)}]${qualifyType(map[2], p)}`;
  if (t in BASIC) return t;
  if (t.includes('.')) {
    const [a, n] = t.split('.');
    return `${a === 'v1' || a === 'corev1' || a === 'apiv1' ? 'corev1' : a}.${n}`;
  }
  return `${p.alias}.${t}`;
}

// Resolve every field type to one of: basic, opaque, pointer, slice, map, struct; flatten inlines.
function resolve(t) {
  if (t.startsWith('*')) return { k: 'ptr', of: resolve(t.slice(1)) };
  if (t === '[]byte') return { k: 'bytes' };
  if (t.startsWith('[]')) return { k: 'slice', of: resolve(t.slice(2)) };
  if (t.startsWith('map[')) return { k: 'map', of: resolve(t.replace(/^map\[[\w.]+\]/, '')) };
  if (t in BASIC) return { k: 'basic', zero: BASIC[t] };
  if (t in OPAQUE) return { k: 'opaque', zero: OPAQUE[t].zero, struct: OPAQUE[t].struct };
  if (t in structs) return { k: 'struct', t };
  if (t in named) return resolve(named[t]);
  unresolved.add(t);
  return { k: 'opaque', zero: null, struct: false };
}
const unresolved = new Set();

function flatten(key, seen = new Set()) {
  const out = [];
  for (const f of structs[key]) {
    if (f.inline) {
      if (f.inline in OPAQUE || !(f.inline in structs) || seen.has(f.inline)) continue;
      out.push(...flatten(f.inline, new Set([...seen, key])));
    } else out.push([f.name, f.omitempty ? 1 : 0, resolve(f.type)]);
  }
  return out;
}

const table = {};
for (const key of Object.keys(structs).sort()) table[key] = flatten(key);
const out = join(dirname(fileURLToPath(import.meta.url)), '../cluster/apiserver/encoding/go-json-table.generated.json');
writeFileSync(
  out,
  `${JSON.stringify({ source: `k8s.io/api and k8s.io/apimachinery ${tag} (types.go json tags), generated by scripts/gen-go-json-table.mjs`, apiVersions: Object.fromEntries(PACKAGES.map((p) => [p.apiVersion, p.alias])), structs: table })}\n`,
);
console.log(
  `${Object.keys(table).length} structs → ${out}${unresolved.size ? `; opaque (no type found): ${[...unresolved].sort().join(', ')}` : ''}`,
);
