// Request parsing as kube-apiserver does it: query parameters with apimachinery's conversions
// (booleans, int64 with strconv's errors), bodies nested too deep, bad escapes, oversized bodies,
// kind/apiVersion defaulted from the URL, a watch with a negative timeout.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startApiServer, type Harness } from './harness.js';
import { MAX_JSON_DEPTH } from '../../../cluster/apiserver/http/body.js';

let h: Harness;
const CM = '/api/v1/namespaces/default/configmaps';
before(async () => {
  h = await startApiServer({ memory: true });
  for (const name of ['a', 'b', 'c'])
    assert.equal(
      (
        await h.request('POST', CM, {
          body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } }),
        })
      ).status,
      201,
    );
});
after(async () => {
  await h?.stop();
});

const nested = (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);

test('int64 query parameters: strconv.ParseInt errors as 400, negative limit means none', async () => {
  const big = await h.request('GET', `${CM}?limit=99999999999999999999`);
  assert.equal(big.status, 400);
  assert.equal(big.json.message, 'strconv.ParseInt: parsing "99999999999999999999": value out of range');
  assert.equal(big.json.reason, 'BadRequest');
  const word = await h.request('GET', `${CM}?limit=ten`);
  assert.equal(word.json.message, 'strconv.ParseInt: parsing "ten": invalid syntax');
  assert.equal((await h.request('GET', `${CM}?limit=-5`)).json.items.length, 3);
  assert.equal((await h.request('GET', `${CM}?limit=%2B2`)).json.items.length, 2);
  const t = await h.request('GET', `${CM}?watch=1&timeoutSeconds=1e3`);
  assert.equal(t.status, 400);
  assert.equal(t.json.message, 'strconv.ParseInt: parsing "1e3": invalid syntax');
});

test('booleans: anything but 0 or false is true (watch=True, watch=t, watch=1 watch; watch=FALSE lists)', async () => {
  for (const v of ['True', 't', '1', 'yes']) {
    const r = await h.request('GET', `${CM}?watch=${v}&timeoutSeconds=1`);
    assert.equal(r.status, 200, v);
    assert.match(r.text, /^\{"type":"ADDED"/, v);
  }
  for (const v of ['0', 'false', 'FALSE']) {
    const r = await h.request('GET', `${CM}?watch=${v}`);
    assert.equal(r.json.kind, 'ConfigMapList', v);
  }
});

test('a watch with timeoutSeconds=-5 ends at once with no event', async () => {
  // An open watch would never end on its own (the ConfigMap is not touched): bounded wait.
  let timer: NodeJS.Timeout | undefined;
  const r = await Promise.race([
    h.request('GET', `${CM}?watch=true&timeoutSeconds=-5`),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('the watch stayed open')), 60_000);
    }),
  ]).finally(() => clearTimeout(timer));
  assert.equal(r.status, 200);
  assert.equal(r.text, '');
});

test('bodies nested too deep are 400, also in patches; a deep but allowed body is stored', async () => {
  const create = await h.request('POST', CM, {
    body: `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"deep"},"x":${nested(5000)}}`,
  });
  assert.equal(create.status, 400);
  assert.match(create.json.message, /exceeded max depth$/);
  for (const type of ['application/strategic-merge-patch+json', 'application/merge-patch+json']) {
    const p = await h.request('PATCH', `${CM}/a`, { headers: { 'Content-Type': type }, body: `{"x":${nested(5000)}}` });
    assert.equal(p.status, 400, type);
  }
  const jp = await h.request('PATCH', `${CM}/a`, {
    headers: { 'Content-Type': 'application/json-patch+json' },
    body: `[{"op":"add","path":"/x","value":${nested(5000)}}]`,
  });
  assert.equal(jp.status, 400);
  const yaml = await h.request('POST', CM, {
    headers: { 'Content-Type': 'application/yaml' },
    body: `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: y}\nx: ${'['.repeat(3000)}${']'.repeat(3000)}\n`,
  });
  assert.ok(yaml.status >= 400 && yaml.status < 500, String(yaml.status));
  assert.equal(
    (
      await h.request('POST', CM, {
        // The whole body is exactly MAX_JSON_DEPTH deep: the object, then x's nesting.
        body: `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"d200"},"x":${nested(MAX_JSON_DEPTH - 1)}}`,
      })
    ).status,
    201,
  );
  const over = await h.request('POST', CM, {
    body: `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"d201"},"x":${nested(MAX_JSON_DEPTH)}}`,
  });
  assert.equal(over.status, 400, 'one level more is refused');
});

test("a bad escape in the path is Go net/http's 400; a body over 3 MiB is 413 with a Status", async () => {
  const bad = await h.request('GET', `${CM}/%zz`);
  assert.equal(bad.status, 400);
  assert.equal(bad.text, '400 Bad Request');
  const half = await h.request('GET', `${CM}/%E0%A4`);
  assert.equal(half.status, 404);
  const big = await h.request('POST', CM, {
    body: JSON.stringify({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'big' },
      data: { x: 'y'.repeat(3 * 1024 * 1024) },
    }),
  });
  assert.equal(big.status, 413);
  assert.deepEqual([big.json.kind, big.json.reason, big.json.code], ['Status', 'RequestEntityTooLarge', 413]);
});

test('kind and apiVersion default from the URL as the JSON decoder does; a different one is 400', async () => {
  // apimachinery's json.Serializer.Decode fills a missing kind/apiVersion from the endpoint's
  // (gvkWithDefaults), so kube-apiserver accepts these for built-in types.
  const none = await h.request('POST', CM, { body: JSON.stringify({ metadata: { name: 'nokind' } }) });
  assert.equal(none.status, 201);
  assert.deepEqual([none.json.apiVersion, none.json.kind], ['v1', 'ConfigMap']);
  const wrong = await h.request('POST', CM, {
    body: JSON.stringify({ apiVersion: 'apps/v1', kind: 'ConfigMap', metadata: { name: 'w' } }),
  });
  assert.equal(wrong.status, 400);
  assert.equal(
    wrong.json.message,
    'the API version in the data (apps/v1) does not match the expected API version (v1)',
  );
});
