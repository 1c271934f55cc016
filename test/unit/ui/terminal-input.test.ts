import { test } from 'node:test';
import assert from 'node:assert/strict';
import { INPUT_CHUNK_CHARS, splitTerminalInput } from '../../../common/terminal-input.js';
import { MAX_FRAME_BYTES, parseClientMessage } from '../../../common/ui-contract.js';

test('a paste is split into frames under the limit that rejoin to the same text, pairs intact', () => {
  const paste = ('\u001b[A😀é' + 'a'.repeat(1000)).repeat(400);
  const parts = splitTerminalInput(paste);
  assert.ok(parts.length > 1);
  assert.equal(parts.join(''), paste);
  for (const p of parts) {
    const frame = JSON.stringify({ type: 'terminal.input', id: 'a'.repeat(16), data: p });
    assert.ok(Buffer.byteLength(frame) < MAX_FRAME_BYTES, `${Buffer.byteLength(frame)}`);
    assert.ok(p.length <= INPUT_CHUNK_CHARS);
    assert.doesNotMatch(p, /^[\udc00-\udfff]|[\ud800-\udbff]$/);
    parseClientMessage(JSON.parse(frame)); // each frame passes the contract
  }
  const worst = '\u0001'.repeat(INPUT_CHUNK_CHARS);
  assert.ok(
    Buffer.byteLength(JSON.stringify({ type: 'terminal.input', id: 'x'.repeat(64), data: worst })) < MAX_FRAME_BYTES,
  );
  assert.deepEqual(splitTerminalInput('ls\r'), ['ls\r']);
});
