#!/usr/bin/env node
// Runs the compiled test suite with Node's test runner: unit, then integration (real namespaces),
// then end-to-end (real UI in Chromium). `npm test -- unit` (or integration, e2e) runs one tier;
// `npm test -- dist/test/x.test.js` runs given files.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// final/ is not a tier of its own: it runs after the others (below).
const tiers = ['unit', 'integration', 'e2e'];
const args = parseCommandLine(process.argv.slice(2));

/**
 * Tier names and compiled test files, nothing else: a typo (`unti`) or a flag meant for node
 * --test used to be ignored, which ran every tier.
 */
function parseCommandLine(argv) {
  const usage = `usage: node scripts/run-tests.mjs [${tiers.join('|')}]... | dist/test/<path>.test.js...`;
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { help: { type: 'boolean', short: 'h' } } });
  } catch (err) {
    console.error(`kubewire test: ${err.message}\n${usage}`);
    process.exit(2);
  }
  if (parsed.values.help) {
    console.log(usage);
    process.exit(0);
  }
  const bad = parsed.positionals.filter((a) => !tiers.includes(a) && !a.endsWith('.js'));
  if (bad.length) {
    console.error(
      `kubewire test: '${bad.join("', '")}' is neither a tier (${tiers.join(', ')}) nor a .js test file\n${usage}`,
    );
    process.exit(2);
  }
  return parsed.positionals;
}

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

// After a run that touches the kernel (integration, e2e, or the whole suite), test/final/ runs on
// its own, last: it fails if the run left a test lab's process, namespace, mount or cgroup. What
// was there before the run (another run on this machine) is the baseline, taken now.
const final = join(root, 'dist', 'test', 'final');
const kernelRun = explicitFiles.length === 0 && (chosenTiers.length === 0 || chosenTiers.some((t) => t !== 'unit'));
let baselineFile;
if (kernelRun) {
  const { scanLeftovers } = await import(join(root, 'dist', 'test', 'support', 'leftovers.js'));
  const dir = mkdtempSync(join(tmpdir(), 'kubewire-baseline-'));
  baselineFile = join(dir, 'leftovers.json');
  writeFileSync(baselineFile, JSON.stringify(scanLeftovers()));
}
const env = {
  ...process.env,
  KUBEWIRE_ROOT: root,
  ...(baselineFile ? { KUBEWIRE_LEFTOVER_BASELINE: baselineFile } : {}),
};

// Integration tests share the kernel; each uses its own prefix, so two at a time is safe and
// keeps the 2-core machine responsive.
const main = files.filter((f) => !f.startsWith(final));
// (node --test with no file would run every test it finds.)
let status = main.length
  ? (spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...main], { cwd: root, stdio: 'inherit', env })
      .status ?? 1)
  : 0;
if (kernelRun || files.some((f) => f.startsWith(final))) {
  const last = spawnSync(process.execPath, ['--test', ...collect(final)], { cwd: root, stdio: 'inherit', env });
  if (status === 0) status = last.status ?? 1;
}
if (baselineFile) rmSync(dirname(baselineFile), { recursive: true, force: true });
process.exit(status);
