#!/usr/bin/env node
// The `kubewire` command: runs the compiled CLI (build it with `npm run build`, or let npm start do it).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const main = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli', 'main.js');
if (!existsSync(main)) {
  console.error('kubewire: not built yet: run `npm run build` (or `sudo npm start`) in the kubewire folder first');
  process.exit(1);
}
await import(main);
