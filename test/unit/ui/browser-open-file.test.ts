// The desktop's browser hand-over: the token URL lives only in a private file, never in argv.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { writeBrowserOpenFile } from '../../../cli/commands/browser-open-file.js';
import { browserOpenArgs } from '../../../cli/commands/desktop.js';

const TOKEN = 'f'.repeat(64);
const URL_WITH_TOKEN = `http://127.0.0.1:4242/?token=${TOKEN}`;

test('the opener gets a file path with no token; the file is 0600 in a 0700 folder and redirects to the URL', (t) => {
  const base = mkdtempSync(join(tmpdir(), 'kw-open-test-'));
  t.after(() => rmSync(base, { recursive: true, force: true }));
  const f = writeBrowserOpenFile(URL_WITH_TOKEN, { baseDir: base });
  try {
    const argv = browserOpenArgs(f);
    assert.ok(
      argv.every((a) => !a.includes(TOKEN)),
      `argv leaks the token: ${argv.join(' ')}`,
    );
    assert.match(argv[0]!, /^file:\/\/\/.*open\.html$/);
    assert.equal(statSync(f.path).mode & 0o777, 0o600);
    assert.equal(statSync(dirname(f.path)).mode & 0o777, 0o700);
    assert.match(
      readFileSync(f.path, 'utf8'),
      new RegExp(`http-equiv="refresh" content="0;url=http://127.0.0.1:4242/\\?token=${TOKEN}"`),
    );
  } finally {
    f.remove();
  }
  assert.equal(existsSync(f.path), false);
  assert.equal(existsSync(dirname(f.path)), false);
});

test('only a loopback http URL is written', () => {
  assert.throws(() => writeBrowserOpenFile('http://evil.example/?token=x'), /refusing/);
  assert.throws(() => writeBrowserOpenFile('javascript:alert(1)'), /refusing/);
});
