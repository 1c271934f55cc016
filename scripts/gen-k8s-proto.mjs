#!/usr/bin/env node
// Generates cluster/apiserver/protobuf/k8s-messages.generated.ts from the Kubernetes API's
// generated.proto files: field numbers, names and types of every message the served kinds reach,
// so the apiserver can read the protobuf bodies kubectl's typed clients send.
// usage: node scripts/gen-k8s-proto.mjs <kubernetes/api checkout> <kubernetes/apimachinery checkout>
// (a checkout, or a bare mirror: files are read with `git show HEAD:<path>` when not on disk).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const [apiDir, machineryDir] = process.argv.slice(2);
if (!apiDir || !machineryDir) {
  console.error('usage: node scripts/gen-k8s-proto.mjs <kubernetes/api> <kubernetes/apimachinery>');
  process.exit(2);
}

function read(repo, path) {
  const p = join(repo, path);
  if (existsSync(p)) return readFileSync(p, 'utf8');
  return execFileSync('git', ['-C', repo, 'show', `HEAD:${path}`], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
}

/**
 * From the Go types next to each .proto: which fields are embedded (JSON inlines them) and which are
 * non-pointer scalars with omitempty (JSON leaves their zero value out). message -> proto name -> flags.
 */
const goFlags = {};
const jsonNames = {};
function readGoTypes(repo, dir, pkg) {
  let text;
  try {
    text = read(repo, `${dir}/types.go`);
  } catch {
    return;
  }
  let current = '';
  for (const line of text.split('\n')) {
    const t = /^type (\w+) struct \{/.exec(line);
    if (t) current = t[1];
    if (!current) continue;
    const emb = /^\t(\w+)\s+`json:"(,inline)?"\s+protobuf:"[^"]*name=(\w+)/.exec(line);
    if (emb) {
      (goFlags[`${pkg}.${current}`] ??= {})[emb[3]] = 1;
      continue;
    }
    // A JSON name that differs from the proto one (BoundObjectReference's uID is `uid` in JSON).
    const named = /^\t\w+\s+[\w.\[\]*]+\s+`json:"(\w+)[^"]*"\s+protobuf:"[^"]*name=(\w+)/.exec(line);
    if (named && named[1] !== named[2]) (jsonNames[`${pkg}.${current}`] ??= {})[named[2]] = named[1];
    const f = /^\t\w+\s+(\*?)([\w.\[\]*]+)\s+`json:"[^",]*(,omitempty)?[^"]*"\s+protobuf:"[^"]*name=(\w+)/.exec(line);
    if (f && !f[1] && f[3] && !f[2].includes('[')) {
      // A named Go type (e.g. RestartPolicy) over a string or number is omitted when zero too.
      (goFlags[`${pkg}.${current}`] ??= {})[f[4]] = 2;
    }
  }
}

const files = [
  [machineryDir, 'pkg/apis/meta/v1/generated.proto'],
  [machineryDir, 'pkg/runtime/generated.proto'],
  [machineryDir, 'pkg/util/intstr/generated.proto'],
  [machineryDir, 'pkg/api/resource/generated.proto'],
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
    'certificates/v1',
    'autoscaling/v1',
    'autoscaling/v2',
    'policy/v1',
    'scheduling/v1',
  ].map((d) => [apiDir, `${d}/generated.proto`]),
];

/** full message name -> [[number, name, type, kind]] with kind 0 single, 1 repeated, 2 map ("key,value" type). */
const messages = {};
for (const [repo, path] of files) {
  const text = read(repo, path)
    .replace(/\/\/.*$/gm, '')
    .replace(/\/\*[\s\S]*?\*\//g, '');
  const pkg = /package\s+([\w.]+)\s*;/.exec(text)[1];
  const re = /message\s+(\w+)\s*\{([^{}]*)\}/g;
  let m;
  while ((m = re.exec(text))) {
    const fields = [];
    const fre = /(optional|repeated)?\s*(map\s*<\s*([\w.]+)\s*,\s*([\w.]+)\s*>|[\w.]+)\s+(\w+)\s*=\s*(\d+)\s*;/g;
    let f;
    while ((f = fre.exec(m[2]))) {
      const resolve = (t0) => {
        const t = t0.replace(/^\./, '');
        return /^(string|bytes|bool|int32|int64|uint32|uint64|double|float|sint32|sint64|fixed32|fixed64)$/.test(t)
          ? t
          : t.includes('.')
            ? t
            : `${pkg}.${t}`;
      };
      if (f[3]) fields.push([Number(f[6]), f[5], `${resolve(f[3])},${resolve(f[4])}`, 2]);
      else fields.push([Number(f[6]), f[5], resolve(f[2]), f[1] === 'repeated' ? 1 : 0]);
    }
    messages[`${pkg}.${m[1]}`] = fields;
  }
  readGoTypes(repo, dirname(path), pkg);
}
for (const [msg, flags] of Object.entries(goFlags)) {
  for (const f of messages[msg] ?? []) if (flags[f[1]]) f.push(flags[f[1]]);
}
for (const [msg, names] of Object.entries(jsonNames)) {
  for (const f of messages[msg] ?? []) if (names[f[1]]) f[1] = names[f[1]];
}

// Keep what the served kinds (and the request bodies next to them) reach.
const roots = [
  'core.v1.Namespace',
  'core.v1.Pod',
  'core.v1.Node',
  'core.v1.Service',
  'core.v1.Endpoints',
  'core.v1.Event',
  'core.v1.ConfigMap',
  'core.v1.Secret',
  'core.v1.ServiceAccount',
  'core.v1.PersistentVolume',
  'core.v1.PersistentVolumeClaim',
  'core.v1.ReplicationController',
  'core.v1.Binding',
  'apps.v1.Deployment',
  'apps.v1.ReplicaSet',
  'apps.v1.DaemonSet',
  'apps.v1.StatefulSet',
  'batch.v1.Job',
  'coordination.v1.Lease',
  'discovery.v1.EndpointSlice',
  'networking.v1.Ingress',
  'rbac.v1.Role',
  'rbac.v1.ClusterRole',
  'rbac.v1.RoleBinding',
  'rbac.v1.ClusterRoleBinding',
  'authorization.v1.SelfSubjectAccessReview',
  'authorization.v1.SelfSubjectRulesReview',
  'authentication.v1.TokenRequest',
  'authentication.v1.TokenReview',
  'authentication.v1.SelfSubjectReview',
  'certificates.v1.CertificateSigningRequest',
  'autoscaling.v1.Scale',
  'policy.v1.Eviction',
  'policy.v1.PodDisruptionBudget',
  'batch.v1.CronJob',
  'autoscaling.v2.HorizontalPodAutoscaler',
  'autoscaling.v1.HorizontalPodAutoscaler',
  'core.v1.ResourceQuota',
  'core.v1.LimitRange',
  'scheduling.v1.PriorityClass',
].map((r) => `k8s.io.api.${r}`);
roots.push('k8s.io.apimachinery.pkg.apis.meta.v1.DeleteOptions', 'k8s.io.apimachinery.pkg.runtime.Unknown');
const keep = {};
const queue = [...roots];
while (queue.length) {
  const name = queue.pop();
  if (keep[name]) continue;
  // Fields of types outside the files read (alpha APIs newer than the served kinds) are dropped:
  // the decoder skips unknown field numbers.
  const fields = (messages[name] ?? []).filter(([, , type]) =>
    type.split(',').every((t) => !t.includes('.') || messages[t]),
  );
  if (!messages[name]) throw new Error(`message ${name} not found`);
  keep[name] = fields;
  for (const [, , type] of fields) for (const t of type.split(',')) if (t.includes('.') && !keep[t]) queue.push(t);
}

const out = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  'cluster',
  'apiserver',
  'protobuf',
  'k8s-messages.generated.ts',
);
const body = Object.keys(keep)
  .sort()
  .map((k) => `  ${JSON.stringify(k)}: ${JSON.stringify(keep[k])},`)
  .join('\n');
writeFileSync(
  out,
  `// Generated by scripts/gen-k8s-proto.mjs from the Kubernetes API's generated.proto files
// (Apache-2.0, The Kubernetes Authors). Do not edit: regenerate.
// message -> [field number, JSON name, type, 0 single | 1 repeated | 2 map ("key,value" type),
//             flags: 1 embedded (JSON inlines it), 2 omitted from JSON when zero]
export type ProtoField = [number, string, string, 0 | 1 | 2, (1 | 2)?];

export const MESSAGES: Record<string, ProtoField[]> = {
${body}
};
`,
);
console.error(`wrote ${Object.keys(keep).length} messages to ${out}`);
