// `kubewire serve [--port N] [--prefix P]`: the UI server alone, on 127.0.0.1; prints the URL
// with the session token and runs until interrupted (then closes every shell it opened).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readClusterInfo } from '../../cluster/agents/cluster-process.js';
import { DEFAULT_STATE_BASE, LabPaths } from '../../runtime/lab/lab-paths.js';
import { ValidationError } from '../../common/errors.js';
import { apiserverStateDir, labStateDir } from '../../cluster/apiserver/state-dir.js';
import { startUiApp } from '../../server/ui-app.js';
import type { RunningUiServer } from '../../server/ui-server.js';

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

export function parseServeArgs(args: string[], command: string, env: NodeJS.ProcessEnv = process.env): ServeOptions {
  const o: ServeOptions = { port: 0, prefix: env.KUBEWIRE_PREFIX ?? 'kw-', kubeconfig: '' };
  let kubeconfig: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = (): string => {
      const v = args[++i];
      if (v === undefined) throw new ValidationError(`kubewire ${command} ${a}`, 'needs a value');
      return v;
    };
    if (a === '--port') {
      const v = value();
      if (!/^[0-9]{1,5}$/.test(v) || Number(v) > 65535)
        throw new ValidationError(`kubewire ${command} --port`, `'${v}' is not a port number`);
      o.port = Number(v);
    } else if (a === '--prefix') o.prefix = value();
    else if (a === '--kubeconfig') kubeconfig = value();
    else
      throw new ValidationError(
        `kubewire ${command}`,
        `unknown argument '${a}' (use --port N, --prefix P, --kubeconfig PATH)`,
      );
  }
  o.kubeconfig = kubeconfig ?? labKubeconfig(o.prefix, env.KUBEWIRE_STATE_DIR || DEFAULT_STATE_BASE, env);
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
