// `kubewire apiserver [--state DIR] [--listen HOST:PORT]... [--memory]`: the apiserver alone, for
// tests and manual tries (hidden: `kubewire serve` composes it with the rest). Runs until SIGINT/SIGTERM.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ApiServer, DEFAULT_CONFIG, type ListenAddress } from '../../cluster/apiserver/api-server.js';
import { apiserverStateDir, labStateDir } from '../../cluster/apiserver/state-dir.js';
import { openBackend } from '../../cluster/apiserver/open-backend.js';

export async function apiserver(args: string[]): Promise<number> {
  let state = labStateDir();
  const listen: ListenAddress[] = [];
  let memory = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--state') state = args[++i] ?? '';
    else if (a === '--memory') memory = true;
    else if (a === '--listen') {
      const m = /^(.+):(\d+)$/.exec(args[++i] ?? '');
      if (!m) {
        console.error(`kubewire apiserver: --listen wants HOST:PORT, got '${args[i] ?? ''}'`);
        return 2;
      }
      listen.push({ host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) });
    } else {
      console.error(
        `kubewire apiserver: unknown argument '${a}'\nusage: kubewire apiserver [--state DIR] [--listen HOST:PORT]... [--memory]`,
      );
      return 2;
    }
  }
  if (!memory) mkdirSync(state, { recursive: true, mode: 0o700 });
  const backend = openBackend(memory ? undefined : join(state, 'store.db'));
  const server = new ApiServer({
    backend,
    config: {
      ...DEFAULT_CONFIG,
      stateDir: apiserverStateDir(state),
      listen: listen.length ? listen : DEFAULT_CONFIG.listen,
    },
    log: (line) => console.error(line),
  });
  const stop = await server.start();
  console.log(`apiserver on ${server.url}; kubeconfig: ${server.kubeconfigPath}`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await stop();
  backend.close();
  return 0;
}
