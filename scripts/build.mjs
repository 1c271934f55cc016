#!/usr/bin/env node
// Builds everything `npm start`/`npm test` run: TypeScript to dist/, the renderer bundle,
// and the small C programs (pause) that pods run. Fails loudly on the first error.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync, readdirSync, copyFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');

function step(name, cmd, args) {
  const t0 = Date.now();
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`kubewire build: ${name} failed`);
    process.exit(1);
  }
  console.error(`kubewire build: ${name} (${Date.now() - t0} ms)`);
}

mkdirSync(dist, { recursive: true });
step('typescript', process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json']);

if (existsSync(join(root, 'renderer', 'main.ts'))) {
  step('renderer typecheck', process.execPath, [
    join(root, 'node_modules/typescript/bin/tsc'),
    '-p',
    'renderer/tsconfig.json',
  ]);
  const { build } = await import('esbuild');
  const t0 = Date.now();
  await build({
    entryPoints: [join(root, 'renderer', 'main.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    outdir: join(dist, 'renderer'),
    sourcemap: true,
    loader: { '.css': 'css' },
    logLevel: 'warning',
  });
  for (const f of readdirSync(join(root, 'renderer'))) {
    if (f.endsWith('.html') || f.endsWith('.css')) copyFileSync(join(root, 'renderer', f), join(dist, 'renderer', f));
  }
  console.error(`kubewire build: renderer bundle (${Date.now() - t0} ms)`);
}

// Electron's sandboxed preload must be one CommonJS file.
if (existsSync(join(root, 'electron', 'preload.ts'))) {
  const { build } = await import('esbuild');
  await build({
    entryPoints: [join(root, 'electron', 'preload.ts')],
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    external: ['electron'],
    outfile: join(dist, 'electron', 'preload.cjs'),
    logLevel: 'warning',
  });
}

// Pods' sandbox holder and other tiny programs: plain C, like the real pause container.
mkdirSync(join(dist, 'native'), { recursive: true });
for (const f of existsSync(join(root, 'native')) ? readdirSync(join(root, 'native')) : []) {
  if (!f.endsWith('.c')) continue;
  const out = join(dist, 'native', f.replace(/\.c$/, ''));
  step(`cc ${f}`, 'cc', ['-O2', '-Wall', '-Werror', '-static-pie', '-o', out, join(root, 'native', f)]);
}
// Node addons (N-API, so one build serves every Node version): headers from Debian's nodejs.
const addonDir = join(root, 'native', 'addon');
for (const f of existsSync(addonDir) ? readdirSync(addonDir) : []) {
  if (!f.endsWith('.c')) continue;
  const name = f.replace(/\.c$/, '');
  const out = join(dist, 'native', `${name}.node`);
  const include = join(dirname(process.execPath), '..', 'include', 'node');
  step(`cc addon ${f}`, 'cc', [
    ...['-O2', '-Wall', '-Werror', '-shared', '-fPIC', `-DNODE_GYP_MODULE_NAME=${name}`, `-I${include}`],
    ...['-o', out, join(addonDir, f)],
  ]);
}

writeFileSync(join(dist, '.build-stamp'), new Date().toISOString() + '\n');
