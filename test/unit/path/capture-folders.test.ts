import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sweepStaleCaptureFolders } from '../../../server/path/capture-store.js';

test('only capture folders of dead owners are swept', (t) => {
  const base = mkdtempSync(join(tmpdir(), 'kw-sweep-'));
  t.after(() => rmSync(base, { recursive: true, force: true }));
  for (const n of [
    'kubewire-captures-111-abcdef',
    'kubewire-captures-222-abcdef',
    'kubewire-captures-x-abcdef',
    'other-111-abcdef',
  ])
    mkdirSync(join(base, n));
  const removed = sweepStaleCaptureFolders(base, (pid) => pid === 222);
  assert.deepEqual(removed, ['kubewire-captures-111-abcdef']);
  assert.equal(existsSync(join(base, 'kubewire-captures-222-abcdef')), true);
  assert.equal(existsSync(join(base, 'kubewire-captures-x-abcdef')), true);
  assert.equal(existsSync(join(base, 'other-111-abcdef')), true);
});
