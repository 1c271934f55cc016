#!/usr/bin/env node
// Entry of the node-side `crictl`/`docker` (cli/node-tools.ts); the wrappers in each node's PATH call it.
// Exit status: 0 done, 1 could not be done, 2 a wrong command line (or exec's command's own).
import { nodeTools } from './node-tools.js';

nodeTools(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exitCode = 1;
  },
);
