#!/usr/bin/env node
// Runs the compiled test suite with Node's test runner: unit, then integration (real namespaces),
// then end-to-end (real UI in Chromium). `npm test -- unit` (or integration, e2e) runs one tier;
// `npm test -- dist/test/x.test.js` runs given files.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tiers = ['unit', 'integration', 'e2e'];
const args = process.argv.slice(2);

function collect(dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...collect(p));
    else if (e.name.endsWith('.test.js')) out.push(p);
  }
  return out.sort();
}

const explicitFiles = args.filter((a) => a.endsWith('.js'));
const chosenTiers = args.filter((a) => tiers.includes(a));
const files = explicitFiles.length
  ? explicitFiles
  : (chosenTiers.length ? chosenTiers : tiers).flatMap((t) => collect(join(root, 'dist', 'test', t)));

if (files.length === 0) {
  console.error('kubewire test: no test files found under dist/test (did the build run?)');
  process.exit(1);
}

// Integration tests share the kernel; each uses its own prefix, so two at a time is safe and
// keeps the 2-core machine responsive.
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...files], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, KUBEWIRE_ROOT: root },
});
process.exit(r.status ?? 1);
