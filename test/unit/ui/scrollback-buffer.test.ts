import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ScrollbackBuffer } from '../../../server/terminals/scrollback-buffer.js';

test('keeps everything under the limit, in order', () => {
  const b = new ScrollbackBuffer(100);
  b.push('abc');
  b.push('');
  b.push('def');
  assert.equal(b.text(), 'abcdef');
  assert.equal(b.length, 6);
});

test('drops the oldest characters once over the limit', () => {
  const b = new ScrollbackBuffer(10);
  for (const c of ['0123', '4567', '89ab', 'cd']) b.push(c);
  assert.equal(b.text(), '456789abcd');
  b.push('x'.repeat(25));
  assert.equal(b.text(), 'x'.repeat(10));
});

test('many one-character chunks stay bounded and exact', () => {
  const b = new ScrollbackBuffer(1000);
  let all = '';
  for (let i = 0; i < 5000; i++) {
    const c = String.fromCharCode(97 + (i % 26));
    b.push(c);
    all += c;
  }
  assert.equal(b.text(), all.slice(-1000));
  assert.throws(() => new ScrollbackBuffer(0), /positive/);
});
