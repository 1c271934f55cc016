// metav1.Time text: rfc3339 keeps the last second's text, so it must still answer every second
// exactly, in any order (a clock may step back), and refuse what Date refuses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { microTime, rfc3339 } from '../../../common/time.js';

test('rfc3339 drops the fraction and follows the clock across seconds, forwards and back', () => {
  const t = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
  assert.equal(rfc3339(t), '2026-01-02T03:04:05Z');
  assert.equal(rfc3339(t + 321), '2026-01-02T03:04:05Z');
  assert.equal(rfc3339(t + 322), '2026-01-02T03:04:06Z');
  assert.equal(rfc3339(t - 679), '2026-01-02T03:04:04Z');
  assert.equal(rfc3339(t), '2026-01-02T03:04:05Z');
  assert.equal(rfc3339(0), '1970-01-01T00:00:00Z');
  assert.equal(rfc3339(-1), '1969-12-31T23:59:59Z');
  for (let ms = t; ms < t + 5000; ms += 97)
    assert.equal(rfc3339(ms), new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z'));
});

test('rfc3339 refuses a time Date cannot write, every time', () => {
  assert.throws(() => rfc3339(NaN), RangeError);
  assert.throws(() => rfc3339(NaN), RangeError);
  assert.throws(() => rfc3339(8.64e15 + 1000), RangeError);
});

test('microTime writes six fractional digits', () => {
  assert.equal(microTime(Date.UTC(2026, 0, 2, 3, 4, 5, 678)), '2026-01-02T03:04:05.678000Z');
});
