// `kubewire serve [--port N] [--prefix P]`: the UI server alone, on 127.0.0.1; prints the URL
// with the session token and runs until interrupted (then closes every shell it opened).
import { join } from 'node:path';
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

export function parseServeArgs(args: string[], command: string): ServeOptions {
  const o: ServeOptions = { port: 0, prefix: process.env.KUBEWIRE_PREFIX ?? 'kw-', kubeconfig: join(apiserverStateDir(labStateDir()), 'admin.kubeconfig') };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = (): string => {
      const v = args[++i];
      if (v === undefined) throw new ValidationError(`kubewire ${command} ${a}`, 'needs a value');
      return v;
    };
    if (a === '--port') {
      const v = value();
      if (!/^[0-9]{1,5}$/.test(v) || Number(v) > 65535) throw new ValidationError(`kubewire ${command} --port`, `'${v}' is not a port number`);
      o.port = Number(v);
    } else if (a === '--prefix') o.prefix = value();
    else if (a === '--kubeconfig') o.kubeconfig = value();
    else throw new ValidationError(`kubewire ${command}`, `unknown argument '${a}' (use --port N, --prefix P, --kubeconfig PATH)`);
  }
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
