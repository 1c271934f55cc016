#!/usr/bin/env node
// Before `npm run lint` / `format:check` on a fresh clone: install the npm packages (eslint,
// prettier, typescript-eslint) if node_modules lacks them, instead of failing with "not found".
// Dependency-free, no root needed (lint does not touch the kernel; `npm start`/`npm test` do the rest).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const needed = ['eslint', 'prettier', 'typescript-eslint', '@eslint/js'];
const missing = needed.filter((p) => !existsSync(join(root, 'node_modules', p, 'package.json')));
if (missing.length) {
  console.log(`kubewire: installing npm packages (missing: ${missing.join(', ')})`);
  const r = spawnSync('npm', ['install', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`kubewire: npm install failed (exit ${r.status ?? r.signal}); lint needs ${needed.join(', ')}`);
    process.exit(1);
  }
}
