// `kubewire apiserver [--state DIR] [--listen HOST:PORT]... [--memory]`: the apiserver alone, for
// tests and manual tries (hidden: `kubewire serve` composes it with the rest). Runs until SIGINT/SIGTERM.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ApiServer, DEFAULT_CONFIG, type ListenAddress } from '../../cluster/apiserver/api-server.js';
import { apiserverStateDir, labStateDir } from '../../cluster/apiserver/state-dir.js';
import { openBackend } from '../../cluster/apiserver/open-backend.js';
import { badFlag, parseCommandLine, type CommandSpec, type FlagSpecs } from '../args.js';

const APISERVER = {
  command: 'apiserver',
  usage: `usage: kubewire apiserver [--state DIR] [--listen HOST:PORT]... [--memory]
  the apiserver alone, until SIGINT/SIGTERM
  --state DIR        its store, keys and kubeconfig (default: $KUBEWIRE_STATE, else /var/lib/kubewire/default)
  --listen HOST:PORT where it listens, once per address (default: 127.0.0.1:6443)
  --memory           keep the store in memory only`,
  flags: { state: { type: 'string' }, listen: { type: 'string', multiple: true }, memory: { type: 'boolean' } },
} as const satisfies CommandSpec<FlagSpecs>;

export async function apiserver(args: string[]): Promise<number> {
  const { values } = parseCommandLine(APISERVER, args);
  const state = values.state ?? labStateDir();
  if (state === '') throw badFlag(APISERVER, 'state', 'is empty');
  const memory = values.memory ?? false;
  const listen: ListenAddress[] = (values.listen ?? []).map((v) => {
    const m = /^(.+):(\d{1,5})$/.exec(v);
    if (!m || Number(m[2]) > 65535) throw badFlag(APISERVER, 'listen', `wants HOST:PORT, got '${v}'`);
    return { host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) };
  });
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
