// `kubewire pod-exec --kubeconfig PATH NAMESPACE/POD [-c CONTAINER] [-- CMD...]` (not in the usage
// text: the UI's container terminals run it): `kubectl exec -it` without kubectl — a terminal in
// the container through the apiserver's pods/exec and the node's kubelet (cluster/client/
// remote-command-client.ts), the local terminal in raw mode, resized with it.
import { readFileSync } from 'node:fs';
import { ValidationError } from '../../common/errors.js';
import { execInPod } from '../../cluster/client/remote-command-client.js';
import { restConfigFromKubeconfig } from '../../server/cluster/kubeconfig-reader.js';
import { DNS1123_SUBDOMAIN } from '../../common/names.js';

const NAME = DNS1123_SUBDOMAIN;

export async function podExec(args: string[]): Promise<number> {
  let kubeconfig = '';
  let container: string | undefined;
  let target = '';
  let command: string[] = ['sh', '-c', 'exec bash 2>/dev/null || exec sh'];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--kubeconfig') kubeconfig = args[++i] ?? '';
    else if (a === '-c') container = args[++i];
    else if (a === '--') {
      if (args.length > i + 1) command = args.slice(i + 1);
      break;
    } else target = a;
  }
  const [namespace, pod] = target.includes('/') ? target.split('/') : ['default', target];
  if (
    !kubeconfig ||
    !namespace ||
    !pod ||
    !NAME.test(namespace) ||
    !NAME.test(pod) ||
    (container !== undefined && !NAME.test(container))
  ) {
    throw new ValidationError(
      'command line',
      'usage: kubewire pod-exec --kubeconfig PATH NAMESPACE/POD [-c CONTAINER] [-- CMD...]',
    );
  }
  const cfg = restConfigFromKubeconfig(readFileSync(kubeconfig, 'utf8'), kubeconfig);
  const tty = !!process.stdin.isTTY;
  if (tty) process.stdin.setRawMode(true);
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
    process.stdin.pause();
  }
}
