// `kubewire pod-exec --kubeconfig PATH NAMESPACE/POD [-c CONTAINER] [-- CMD...]` (not in the usage
// text: the UI's container terminals run it): `kubectl exec -it` without kubectl — a terminal in
// the container through the apiserver's pods/exec and the node's kubelet (cluster/client/
// remote-command-client.ts), the local terminal in raw mode, resized with it.
import { readFileSync } from 'node:fs';
import { execInPod } from '../../cluster/client/remote-command-client.js';
import { restConfigFromKubeconfig } from '../../server/cluster/kubeconfig-reader.js';
import { isDnsSubdomain } from '../../common/names.js';
import { runSyncWithFds } from '../../runtime/host/spawn.js';
import { badFlag, parseCommandLine, UsageError, type CommandSpec, type FlagSpecs } from '../args.js';

const POD_EXEC = {
  command: 'pod-exec',
  usage: `usage: kubewire pod-exec --kubeconfig PATH NAMESPACE/POD [-c CONTAINER] [-- CMD...]
  a terminal in the pod's container through the apiserver (default CMD: bash, else sh)
  --kubeconfig PATH     the apiserver to go through
  -c, --container NAME  the container (default: the pod's first)`,
  flags: { kubeconfig: { type: 'string' }, container: { type: 'string', short: 'c' } },
  positionals: { min: 1, max: 1 },
  passThrough: true,
} as const satisfies CommandSpec<FlagSpecs>;

export async function podExec(args: string[]): Promise<number> {
  const { values, positionals, passThrough } = parseCommandLine(POD_EXEC, args);
  const { kubeconfig, container } = values;
  const target = positionals[0]!;
  const command = passThrough.length ? passThrough : ['sh', '-c', 'exec bash 2>/dev/null || exec sh'];
  if (!kubeconfig) throw badFlag(POD_EXEC, 'kubeconfig', 'is required');
  const [namespace, pod, ...extra] = target.includes('/') ? target.split('/') : ['default', target];
  if (!namespace || !pod || extra.length || !isDnsSubdomain(namespace) || !isDnsSubdomain(pod))
    throw new UsageError('pod-exec', `'${target}' is not NAMESPACE/POD (DNS-1123 names)`, POD_EXEC.usage);
  if (container !== undefined && !isDnsSubdomain(container))
    throw badFlag(POD_EXEC, 'container', `'${container}' is not a DNS-1123 name`);
  const cfg = restConfigFromKubeconfig(readFileSync(kubeconfig, 'utf8'), kubeconfig);
  const tty = !!process.stdin.isTTY;
  let restoreOutput: string | undefined;
  if (tty) {
    process.stdin.setRawMode(true);
    restoreOutput = rawOutput();
  }
  try {
    return await execInPod(
      {
        server: cfg.server,
        ...(cfg.ca ? { ca: Buffer.from(cfg.ca) } : {}),
        ...(cfg.token ? { token: cfg.token } : {}),
        namespace,
        pod,
        ...(container ? { container } : {}),
        command,
        tty,
      },
      {
        stdin: process.stdin,
        stdout: process.stdout,
        stderr: process.stderr,
        size: () => ({ cols: process.stdout.columns || 80, rows: process.stdout.rows || 24 }),
        onResize: (fn) => process.stdout.on('resize', fn),
      },
    );
  } finally {
    if (tty) process.stdin.setRawMode(false);
    if (restoreOutput) runSyncWithFds('stty', [restoreOutput], [1, 'ignore', 'ignore']);
    process.stdin.pause();
  }
}

/**
 * The local terminal's output as the container's terminal sends it, with no processing: its
 * "\r\n" stays "\r\n". Node's raw mode (libuv's UV_TTY_MODE_RAW) keeps OPOST and ONLCR, so each
 * "\n" got a second "\r" ("\r\r\n") on the way out; kubectl's raw mode (moby/term MakeRaw,
 * cfmakeraw) clears OPOST, as this does. Returns the terminal's settings before (stty -g), or
 * undefined when stdout is no terminal or stty failed.
 */
function rawOutput(): string | undefined {
  if (!process.stdout.isTTY) return undefined;
  const saved = runSyncWithFds('stty', ['-g'], [1, 'pipe', 'ignore']);
  if (saved.status !== 0 || !saved.stdout.trim()) return undefined;
  const set = runSyncWithFds('stty', ['-opost'], [1, 'ignore', 'pipe']);
  if (set.status !== 0) throw new Error(`pod-exec: stty -opost on the terminal failed: ${set.stderr.trim()}`);
  return saved.stdout.trim();
}
