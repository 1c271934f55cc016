// A kubeconfig for kubectl and client libraries: the cluster's CA inline, a bearer token, one context.
import { writeFileSync, renameSync } from 'node:fs';
import { stringify } from 'yaml';

export interface KubeconfigSpec {
  server: string;
  caPem: Buffer;
  user: string;
  token: string;
  clusterName?: string;
}

export function kubeconfigText(s: KubeconfigSpec): string {
  const cluster = s.clusterName ?? 'kubewire';
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name: cluster, cluster: { server: s.server, 'certificate-authority-data': s.caPem.toString('base64') } },
    ],
    users: [{ name: s.user, user: { token: s.token } }],
    contexts: [{ name: `${s.user}@${cluster}`, context: { cluster, user: s.user, namespace: 'default' } }],
    'current-context': `${s.user}@${cluster}`,
    preferences: {},
  });
}

export function writeKubeconfig(path: string, s: KubeconfigSpec): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, kubeconfigText(s), { mode: 0o600 });
  renameSync(tmp, path);
}
