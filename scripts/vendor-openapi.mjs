#!/usr/bin/env node
// Regenerates cluster/apiserver/openapi/spec/swagger.json.gz, the Kubernetes OpenAPI v2 spec the
// apiserver serves (and derives its OpenAPI v3 documents and server-side apply's list types from).
//
//   node scripts/vendor-openapi.mjs <kubernetes checkout at v1.32.x | path to swagger.json>
//
// The source is kubernetes/kubernetes' api/openapi-spec/swagger.json at a v1.32.x tag (or the
// release-1.32 branch). The file is checked, re-serialised without whitespace and gzipped with a
// fixed mtime, so the same input always gives the same bytes; provenance.json records its digest.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'cluster/apiserver/openapi/spec');
const arg = process.argv[2];
if (!arg) {
  console.error('usage: node scripts/vendor-openapi.mjs <kubernetes checkout | swagger.json>');
  process.exit(2);
}
const file = existsSync(arg) && statSync(arg).isDirectory() ? join(arg, 'api/openapi-spec/swagger.json') : arg;
const text = readFileSync(file, 'utf8');
const spec = JSON.parse(text);
if (
  spec.swagger !== '2.0' ||
  !spec.definitions?.['io.k8s.api.core.v1.Pod'] ||
  !spec.paths?.['/api/v1/namespaces/{namespace}/pods']
) {
  console.error(`${file} is not Kubernetes' OpenAPI v2 spec`);
  process.exit(1);
}
const ports = spec.definitions['io.k8s.api.core.v1.Container']?.properties?.ports;
if (!ports?.description || ports['x-kubernetes-list-type'] !== 'map') {
  console.error(`${file} lacks descriptions or list types (generated without them?)`);
  process.exit(1);
}
// Pin the minor version: kubectl and clients are told this apiserver is v1.32.
if (
  !spec.definitions['io.k8s.api.resource.v1beta1.ResourceClaim'] ||
  spec.definitions['io.k8s.api.resource.v1beta2.ResourceClaim']
) {
  console.error(`${file} does not look like v1.32 (resource.k8s.io/v1beta1 without v1beta2 is 1.32's)`);
  process.exit(1);
}
const min = Buffer.from(JSON.stringify(spec));
const gz = gzipSync(min, { level: 9 });
gz.writeUInt32LE(0, 4); // mtime: 0 so the bytes depend on the input only
writeFileSync(join(out, 'swagger.json.gz'), gz);
const provenance = {
  source: 'kubernetes/kubernetes api/openapi-spec/swagger.json, v1.32.x (release-1.32)',
  licence: 'Apache-2.0 (LICENSE beside this file)',
  inputSha256: createHash('sha256').update(text).digest('hex'),
  sha256: createHash('sha256').update(min).digest('hex'),
  definitions: Object.keys(spec.definitions).length,
  paths: Object.keys(spec.paths).length,
};
writeFileSync(join(out, 'provenance.json'), `${JSON.stringify(provenance, null, 2)}\n`);
console.log(`wrote ${join(out, 'swagger.json.gz')} (${gz.length} bytes; ${min.length} bytes JSON)`);
