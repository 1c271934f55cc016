// `kubewire serve [--port N] [--prefix P] [--kubeconfig PATH]`: the UI server alone, on 127.0.0.1; prints the URL
// with the session token and runs until interrupted (then closes every shell it opened).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readClusterInfo } from '../../cluster/agents/cluster-process.js';
import { DEFAULT_STATE_BASE, LabPaths } from '../../runtime/lab/lab-paths.js';
import { apiserverStateDir, labStateDir } from '../../cluster/apiserver/state-dir.js';
import { startUiApp } from '../../server/ui-app.js';
import type { RunningUiServer } from '../../server/ui-server.js';
import { isLabPrefix } from '../../common/names.js';
import { badArgument, badFlag, parseCommandLine, shown, type CommandSpec, type FlagSpecs } from '../args.js';

export interface ServeOptions {
  port: number;
  prefix: string;
  /** For the cluster tables: default, the lab apiserver's admin kubeconfig (kubewire kubeconfig). */
  kubeconfig: string;
}

/**
 * The kubeconfig of the lab that runs under this prefix: the lab of the state folder whose
 * state.json has the prefix, and the kubeconfig its cluster process published (cluster.json; the
 * port may not be 6443). The lab's name comes from its topology (`article` for `npm start`), so
 * it is looked up, not assumed. Without such a lab: the standalone apiserver's (`kubewire apiserver`).
 */
export function labKubeconfig(prefix: string, stateBase: string, env: NodeJS.ProcessEnv = process.env): string {
  const labs = existsSync(stateBase)
    ? readdirSync(stateBase, { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => d.name)
        .sort()
    : [];
  for (const lab of labs) {
    const paths = new LabPaths(stateBase, lab);
    let state: { prefix?: string } | undefined;
    try {
      state = JSON.parse(readFileSync(paths.state, 'utf8')) as { prefix?: string };
    } catch {
      continue;
    }
    if (state.prefix !== prefix) continue;
    return readClusterInfo(paths)?.kubeconfig ?? join(apiserverStateDir(paths.dir), 'admin.kubeconfig');
  }
  return join(apiserverStateDir(labStateDir(env)), 'admin.kubeconfig');
}

const SERVE_FLAGS = {
  port: { type: 'string' },
  prefix: { type: 'string' },
  kubeconfig: { type: 'string' },
} as const satisfies FlagSpecs;

const SERVE_FLAGS_USAGE = `  --port N          the UI server's port on 127.0.0.1 (default: any free one)
  --prefix P        the lab's prefix (default: $KUBEWIRE_PREFIX, else kw-)
  --kubeconfig PATH for the Cluster tab (default: the kubeconfig of the lab running under the prefix)`;

export const SERVE_SPECS: Record<'serve' | 'desktop', CommandSpec<typeof SERVE_FLAGS>> = {
  serve: {
    command: 'serve',
    usage: `usage: kubewire serve [--port N] [--prefix P] [--kubeconfig PATH]
  the UI server alone, on 127.0.0.1: prints the URL with its session token\n${SERVE_FLAGS_USAGE}`,
    flags: SERVE_FLAGS,
  },
  desktop: {
    command: 'desktop',
    usage: `usage: kubewire desktop [--port N] [--prefix P] [--kubeconfig PATH]
  the UI in the desktop window (or, without Electron, the URL and a browser)\n${SERVE_FLAGS_USAGE}`,
    flags: SERVE_FLAGS,
  },
};

export function parseServeArgs(
  args: readonly string[],
  command: 'serve' | 'desktop',
  env: NodeJS.ProcessEnv = process.env,
): ServeOptions {
  const spec = SERVE_SPECS[command];
  const { values } = parseCommandLine(spec, args);
  const o: ServeOptions = { port: 0, prefix: values.prefix ?? (env.KUBEWIRE_PREFIX || 'kw-'), kubeconfig: '' };
  if (values.port !== undefined) {
    if (!/^[0-9]{1,5}$/.test(values.port) || Number(values.port) > 65535)
      throw badFlag(spec, 'port', `${shown(values.port)} is not a port number (0..65535)`);
    o.port = Number(values.port);
  }
  if (!isLabPrefix(o.prefix))
    throw badArgument(
      spec,
      values.prefix !== undefined ? '--prefix' : '$KUBEWIRE_PREFIX',
      `${shown(o.prefix)} is not a lab prefix (kw- or kw-<name>-)`,
    );
  if (values.kubeconfig === '') throw badFlag(spec, 'kubeconfig', 'is empty');
  o.kubeconfig = values.kubeconfig ?? labKubeconfig(o.prefix, env.KUBEWIRE_STATE_DIR || DEFAULT_STATE_BASE, env);
  return o;
}

/** Resolves when SIGINT/SIGTERM arrives, after the server is disposed. */
export async function runUntilSignal(server: RunningUiServer): Promise<void> {
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await server.dispose();
}

export async function serve(args: string[]): Promise<number> {
  const o = parseServeArgs(args, 'serve');
  const server = await startUiApp({ prefix: o.prefix, port: o.port, kubeconfig: o.kubeconfig });
  console.log(`kubewire UI for lab ${o.prefix}: ${server.url}`);
  await runUntilSignal(server);
  return 0;
}
