import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventually } from '../../helpers/eventually.js';

test('eventually: the first answer; undefined, null, false and a throw mean not yet; 0 and empty text are answers', async () => {
  const answers: unknown[] = [undefined, null, false, 'throw', 0];
  let i = 0;
  const v = await eventually('the fifth answer', () => {
    const a = answers[i++];
    if (a === 'throw') throw new Error('not ready');
    return a;
  });
  assert.equal(v, 0);
  assert.equal(i, 5);
  assert.equal(await eventually(() => Promise.resolve(''), 1000, 'empty text'), '');
});

test('eventually: fails after its timeout naming what it waited for and the last error', async () => {
  const cause = new Error('connection refused');
  await assert.rejects(
    eventually('the apiserver', () => Promise.reject(cause), 50),
    (err: Error) =>
      /timed out after 50 ms waiting for the apiserver; last error: connection refused/.test(err.message) &&
      err.cause === cause,
  );
  // A probe that stops throwing but never answers: no stale error in the message.
  let n = 0;
  await assert.rejects(
    eventually(
      () => {
        if (n++ === 0) throw new Error('first');
        return false;
      },
      50,
      'a flag',
    ),
    (err: Error) => err.message === 'timed out after 50 ms waiting for a flag' && err.cause === undefined,
  );
});
