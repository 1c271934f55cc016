// Poll answers applied in order of their requests, never after the asker declared them stale.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AnswerOrder } from '../../../common/answer-order.js';

test('an answer older than one already applied is dropped', () => {
  const o = new AnswerOrder();
  const a = o.next();
  const b = o.next();
  assert.equal(o.accept(b), true);
  assert.equal(o.accept(a), false);
  assert.equal(o.accept(o.next()), true);
});

test('answers to requests sent before supersede() are stale; later ones are not', () => {
  const o = new AnswerOrder();
  const during = [o.next(), o.next()];
  o.supersede(); // the work the polls asked about has finished
  assert.deepEqual(
    during.map((n) => o.accept(n)),
    [false, false],
  );
  assert.equal(o.accept(o.next()), true);
});
