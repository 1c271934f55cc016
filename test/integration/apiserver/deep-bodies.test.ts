// Bodies as deep as the apiserver accepts go through every write path with a third of Node's
// default stack (984 KiB): the recursive walks (patches, managed fields, validation, encoding) keep
// a wide margin. Near the stack's end an overflow may land in V8's regexp compiler, which aborts the
// process instead of throwing; the API fuzz suite hit that with 1,000-deep bodies (issue 14).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { MAX_JSON_DEPTH } from '../../../cluster/apiserver/http/body.js';
import { MAX_YAML_DEPTH } from '../../../common/yaml-depth.js';

const harness = fileURLToPath(new URL('./harness.js', import.meta.url));

const script = (jsonDepth: number, yamlDepth: number) => `
import { startApiServer } from ${JSON.stringify(harness)};
const h = await startApiServer({ memory: true });
const deep = (n) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);
const cm = (name, n) => '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"' + name + '"},"x":' + deep(n) + '}';
const base = '/api/v1/namespaces/default/configmaps';
const d = ${jsonDepth} - 1; // the object itself is one level
const out = {};
const r = async (label, m, p, body, ct) => {
  const res = await h.request(m, p, { body, headers: ct ? { 'Content-Type': ct } : {} });
  out[label] = res.status;
};
await r('create', 'POST', base, cm('a', d));
await r('create-yaml', 'POST', base, 'apiVersion: v1\\nkind: ConfigMap\\nmetadata: {name: y}\\nx: ' + '['.repeat(${yamlDepth} - 1) + ']'.repeat(${yamlDepth} - 1), 'application/yaml');
await r('update', 'PUT', base + '/a', cm('a', d));
await r('merge-patch', 'PATCH', base + '/a', '{"x":' + deep(d) + '}', 'application/merge-patch+json');
await r('strategic-merge-patch', 'PATCH', base + '/a', '{"x":' + deep(d) + '}', 'application/strategic-merge-patch+json');
await r('json-patch', 'PATCH', base + '/a', '[{"op":"add","path":"/x","value":' + deep(d - 1) + '}]', 'application/json-patch+json');
await r('apply', 'PATCH', base + '/c?fieldManager=m', cm('c', d), 'application/apply-patch+yaml');
await r('apply-again', 'PATCH', base + '/c?fieldManager=n&force=true', cm('c', d - 1), 'application/apply-patch+yaml');
await r('list', 'GET', base);
await r('table', 'GET', base + '?includeObject=Object');
await r('delete', 'DELETE', base + '/a');
console.log(JSON.stringify(out));
await h.stop();
`;

test(`bodies ${MAX_JSON_DEPTH} deep (JSON) and ${MAX_YAML_DEPTH} deep (YAML) are served with a third of the stack`, async () => {
  const { stdout } = await execa(
    process.execPath,
    ['--stack-size=328', '--input-type=module', '-e', script(MAX_JSON_DEPTH, MAX_YAML_DEPTH)],
    { maxBuffer: 1 << 20 },
  );
  const statuses = JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, number>;
  assert.deepEqual(statuses, {
    create: 201,
    'create-yaml': 201,
    update: 200,
    'merge-patch': 200,
    'strategic-merge-patch': 200,
    'json-patch': 200,
    apply: 201,
    'apply-again': 200,
    list: 200,
    table: 200,
    delete: 200,
  });
});
