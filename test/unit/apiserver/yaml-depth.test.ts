// Deeply nested YAML is refused before yaml's composer sees it: the composer recurses per level,
// and a stack overflow inside V8's regexp compiler aborts the whole process ("RegExpCompiler
// Allocation failed"), which is how one malformed request killed the apiserver under the fuzz
// suite. The decoders run in a child process so an abort fails this test instead of the runner.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { MAX_YAML_DEPTH, yamlDepth } from '../../../common/yaml-depth.js';

const dist = fileURLToPath(new URL('../../../', import.meta.url));

test('yamlDepth counts flow, block, compact and explicit-key nesting, every document', () => {
  assert.equal(yamlDepth(''), 0);
  assert.equal(yamlDepth('a: 1'), 1);
  assert.equal(yamlDepth('{"a":{"b":[1,[2]]}}'), 4);
  assert.equal(yamlDepth('a:\n  b:\n    - c: 1\n'), 4);
  assert.equal(yamlDepth('- - - - x'), 4);
  assert.equal(yamlDepth('? [a, [b]]\n: c'), 3);
  assert.equal(yamlDepth('a: 1\n---\nb: {c: {d: 1}}'), 3);
  assert.equal(yamlDepth('x: &a [*a]'), 2, 'an alias is not followed');
  assert.equal(yamlDepth('- '.repeat(100_000) + 'x'), 100_000, 'the CST parser keeps its own stack');
  assert.equal(yamlDepth('{"a":'.repeat(5000), 10), 11, 'stops counting past the cap');
});

test('apiserver bodies and topology files nested thousands deep are refused, the process lives', () => {
  const script = `
    const { decodeObject } = await import(${JSON.stringify(dist + 'cluster/apiserver/http/body.js')});
    const { parseTopology } = await import(${JSON.stringify(dist + 'common/topology/parse-topology.js')});
    const out = [];
    for (const d of [999, 1001, 5000, 12000]) {
      for (const text of ['{"kind":"ConfigMap","x":' + '{"a":'.repeat(d) + '1' + '}'.repeat(d) + '}', 'x:\\n' + '  - '.repeat(d) + '1']) {
        try { decodeObject(Buffer.from(text), 'application/yaml', 'body'); out.push('accepted'); }
        catch (e) { out.push(e.code + ' ' + e.message.split(':').pop().trim()); }
        try { parseTopology(text, 'lab.yaml'); out.push('accepted'); }
        catch (e) { out.push(e.constructor.name + ' ' + e.problem); }
      }
    }
    console.log(JSON.stringify(out));`;
  const stdout = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  const lines = JSON.parse(stdout) as string[];
  assert.equal(lines.length, 16);
  for (let i = 0; i < lines.length; i += 2) {
    assert.equal(lines[i], `400 exceeded max depth of ${MAX_YAML_DEPTH}`);
    assert.equal(lines[i + 1], `ValidationError malformed YAML: nested deeper than ${MAX_YAML_DEPTH} levels`);
  }
});

test('an ordinary nested object still decodes', async () => {
  const { decodeObject } = await import('../../../cluster/apiserver/http/body.js');
  const v = decodeObject(Buffer.from('kind: ConfigMap\ndata:\n  a: "1"\nx: [[{b: [1]}]]\n'), 'application/yaml', 'b');
  assert.deepEqual(v, { kind: 'ConfigMap', data: { a: '1' }, x: [[{ b: [1] }]] });
});
