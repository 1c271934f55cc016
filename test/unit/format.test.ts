// The formatter (prettier, .prettierrc.json) has been applied to every source file: a file written
// by hand in another style fails here with its name, and `npm run format` fixes it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import * as prettier from 'prettier';
import { projectRoot } from '../../runtime/project-root.js';

const root = projectRoot();

function sourceFiles(): string[] {
  // Tracked and new (not ignored) files; a clean clone has only tracked ones.
  const out = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], {
    cwd: root,
    encoding: 'utf8',
  });
  return out.split('\n').filter((f) => /\.(ts|tsx|js|mjs|cjs)$/.test(f));
}

test('every source file is formatted as .prettierrc.json says', { timeout: 300_000 }, async () => {
  const files = sourceFiles();
  assert.ok(files.length > 300, `found only ${files.length} source files`);
  const unformatted: string[] = [];
  for (const f of files) {
    const path = join(root, f);
    const info = await prettier.getFileInfo(path, { ignorePath: join(root, '.prettierignore') });
    if (info.ignored || !info.inferredParser) continue;
    const options = await prettier.resolveConfig(path);
    assert.ok(options, `no prettier config resolved for ${f}`);
    if (!(await prettier.check(readFileSync(path, 'utf8'), { ...options, filepath: path }))) unformatted.push(f);
  }
  assert.deepEqual(unformatted, [], 'run `npm run format`');
});

test('the formatter does catch a file in another style', async () => {
  const path = join(root, 'cli', 'x.ts');
  const options = await prettier.resolveConfig(path);
  assert.equal(await prettier.check('const a = "b"\n', { ...options, filepath: path }), false);
  assert.equal(await prettier.check("const a = 'b';\n", { ...options, filepath: path }), true);
});
