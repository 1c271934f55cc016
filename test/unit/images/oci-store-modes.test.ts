import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OciStore } from '../../../runtime/images/oci-store.js';

const mode = (p: string) => statSync(p).mode & 0o777;

test('the image store is 0700 folders and 0600 files, also when an older layout was world-readable', async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'kw-oci-modes-'));
  t.after(() => rmSync(base, { recursive: true, force: true }));
  const fresh = join(base, 'fresh');
  const old = process.umask(0o022);
  try {
    await new OciStore(fresh).init();
    // What an older kubewire left: 0755 folders, a 0644 oci-layout.
    const stale = join(base, 'stale');
    mkdirSync(join(stale, 'layers', 'sha256'), { recursive: true, mode: 0o755 });
    chmodSync(join(stale, 'layers'), 0o755);
    writeFileSync(join(stale, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}', { mode: 0o644 });
    await new OciStore(stale).init();
    for (const root of [fresh, stale]) {
      for (const d of ['', 'blobs', 'blobs/sha256', 'layers', 'layers/sha256', 'tmp', 'locks'])
        assert.equal(mode(join(root, d)), 0o700, `${root}/${d}`);
      assert.equal(mode(join(root, 'oci-layout')), 0o600, `${root}/oci-layout`);
      assert.equal(mode(join(root, 'index.json')), 0o600, `${root}/index.json`);
    }
  } finally {
    process.umask(old);
  }
});
