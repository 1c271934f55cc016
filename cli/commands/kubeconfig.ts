// `kubewire kubeconfig`: prints the path of the admin kubeconfig (CA inline, admin token), making
// the CA, certificate and token first if the apiserver has not run yet.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_CONFIG } from '../../cluster/apiserver/api-server.js';
import { ADMIN_USER, TokenFile } from '../../cluster/apiserver/authn/token-file.js';
import { writeKubeconfig } from '../../cluster/apiserver/kubeconfig.js';
import { ensurePki, servingNames } from '../../cluster/apiserver/pki.js';
import { readClusterInfo } from '../../cluster/agents/cluster-process.js';
import { LabPaths } from '../../runtime/lab/lab-paths.js';
import { labCommandSpec, parseLabOptions, resolveLabName } from './lab-context.js';
import { apiserverStateDir, labStateDir } from '../../cluster/apiserver/state-dir.js';

const KUBECONFIG = labCommandSpec({
  command: 'kubeconfig',
  usage: `usage: kubewire kubeconfig [--lab ID]
  print the path of a kubeconfig that kubectl can use`,
});

export async function kubeconfig(args: string[]): Promise<number> {
  const o = parseLabOptions(KUBECONFIG, args);
  // A lab whose cluster runs: its apiserver's kubeconfig (the port may not be 6443).
  const running = readClusterInfo(new LabPaths(o.stateBase, resolveLabName(o)));
  if (running && existsSync(running.kubeconfig)) {
    console.log(running.kubeconfig);
    return 0;
  }
  const dir = apiserverStateDir(labStateDir());
  const path = join(dir, 'admin.kubeconfig');
  if (!existsSync(path)) {
    const l = DEFAULT_CONFIG.listen[0]!;
    const pki = await ensurePki(dir, servingNames(['192.168.192.1']));
    const token = new TokenFile(join(dir, 'tokens.csv')).issue(ADMIN_USER);
    writeKubeconfig(path, { server: `https://${l.host}:${l.port}`, caPem: pki.caCertPem, user: 'admin', token });
  }
  console.log(path);
  return 0;
}
