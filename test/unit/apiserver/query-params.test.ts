import { test } from 'node:test';
import assert from 'node:assert/strict';
import { goBool, goQuote, parseGoInt64 } from '../../../cluster/apiserver/http/query-params.js';
import { jsonDepth, parseJson } from '../../../cluster/apiserver/http/body.js';
import { parseRequestInfo } from '../../../cluster/apiserver/http/request-info.js';

test('booleans as apimachinery converts them', () => {
  assert.equal(goBool([]), false);
  for (const v of ['0', 'false', 'False', 'FALSE']) assert.equal(goBool([v]), false, v);
  for (const v of ['1', 'true', 'True', 't', 'f', 'yes', '']) assert.equal(goBool([v]), true, v);
  assert.equal(goBool(['false', 'true']), false, 'the first value decides');
});

test('int64 as strconv.ParseInt(s, 10, 64), errors in its words', () => {
  assert.equal(parseGoInt64('42'), 42);
  assert.equal(parseGoInt64('-7'), -7);
  assert.equal(parseGoInt64('+7'), 7);
  assert.equal(parseGoInt64('9223372036854775807'), 2 ** 63); // the nearest double
  assert.throws(
    () => parseGoInt64('9223372036854775808'),
    /strconv.ParseInt: parsing "9223372036854775808": value out of range/,
  );
  for (const v of ['', ' 1', '1.5', '0x10', '1_000', '+', '١'])
    assert.throws(() => parseGoInt64(v), /invalid syntax/, v);
  assert.equal(goQuote('a"b\n\u0001é'), '"a\\"b\\n\\x01é"');
});

test('the watch verb follows the same booleans; a bad escape in a path does not throw', () => {
  const info = (q: string) => parseRequestInfo('GET', new URL(`https://x/api/v1/pods${q}`)).verb;
  assert.equal(info('?watch=True'), 'watch');
  assert.equal(info('?watch=t'), 'watch');
  assert.equal(info('?watch=0'), 'list');
  assert.equal(info(''), 'list');
  assert.equal(parseRequestInfo('GET', new URL('https://x/api/v1/namespaces/d/pods/%E0%A4')).name, '%E0%A4');
});

test('JSON depth is measured without recursion, strings and escapes ignored', () => {
  assert.equal(jsonDepth('{"a":[1,{"b":"[[[\\"{{"}]}'), 3);
  assert.equal(jsonDepth('"[[["'), 0);
  assert.throws(() => parseJson('['.repeat(20000) + ']'.repeat(20000)), /exceeded max depth/);
  assert.deepEqual(parseJson('{"a":[1]}'), { a: [1] });
});
