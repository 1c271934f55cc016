// Every privileged helper is shellcheck clean and starts with the strict-mode line.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { execa } from 'execa';
import { projectRoot, scriptsDir } from '../../../runtime/project-root.js';

const dir = scriptsDir(projectRoot());
const scripts = readdirSync(dir).filter((f) => f.endsWith('.sh'));

test('shellcheck finds nothing in native-scripts/', async () => {
  const which = await execa('sh', ['-c', 'command -v shellcheck'], { reject: false });
  assert.equal(which.exitCode, 0, 'shellcheck is not installed (scripts/bootstrap.mjs installs it for npm test)');
  const r = await execa('shellcheck', ['-x', ...scripts.map((s) => join(dir, s))], { reject: false });
  assert.equal(r.exitCode, 0, r.stdout + r.stderr);
});

test('every helper runs in strict mode and validates before acting', () => {
  assert.ok(scripts.length >= 10);
  for (const s of scripts.filter((x) => x !== 'lib.sh')) {
    const text = readFileSync(join(dir, s), 'utf8');
    assert.match(text, /^#!\/usr\/bin\/env bash\n/, s);
    assert.match(text, /\nset -euo pipefail\n/, s);
    assert.doesNotMatch(text, /\beval\b/, s);
  }
});
