#!/usr/bin/env node
// Entry of the node-side `crictl`/`docker` (cli/node-tools.ts); the wrappers in each node's PATH call it.
import { nodeTools } from './node-tools.js';

nodeTools(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  },
);
