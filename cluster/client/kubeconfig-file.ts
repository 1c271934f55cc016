// A component's connection from a kubeconfig file (what kube-scheduler's and kube-controller-manager's
// --kubeconfig read): the current context's server, CA and bearer token.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { ValidationError } from '../../common/errors.js';
import type { RestConfig } from './rest-client.js';

/** The parts of a kubeconfig this reads; everything is optional until checked below. */
interface KubeconfigDoc {
  'current-context'?: string;
  contexts?: { name?: string; context?: { cluster?: string; user?: string } }[];
  clusters?: {
    name?: string;
    cluster?: { server?: string; 'certificate-authority-data'?: string; 'certificate-authority'?: string };
  }[];
  users?: { name?: string; user?: { token?: string } }[];
}

/** The current context's server, CA and bearer token from a kubeconfig file. */
export function restConfigFromKubeconfig(path: string, userAgent: string): RestConfig {
  let doc: KubeconfigDoc | undefined;
  try {
    doc = parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ValidationError(path, `cannot read kubeconfig: ${err instanceof Error ? err.message : err}`);
  }
  const ctxName = doc?.['current-context'];
  const ctx = (doc?.contexts ?? []).find((c) => c.name === ctxName)?.context;
  if (!ctx) throw new ValidationError(path, `current-context ${JSON.stringify(ctxName)} is not among contexts`);
  const cluster = (doc?.clusters ?? []).find((c) => c.name === ctx.cluster)?.cluster;
  const user = (doc?.users ?? []).find((u) => u.name === ctx.user)?.user;
  if (!cluster?.server) throw new ValidationError(path, `clusters[${ctx.cluster}].cluster.server is missing`);
  if (!user?.token)
    throw new ValidationError(
      path,
      `users[${ctx.user}].user.token is missing (kubewire components authenticate with bearer tokens)`,
    );
  const ca = cluster['certificate-authority-data']
    ? Buffer.from(cluster['certificate-authority-data'], 'base64')
    : cluster['certificate-authority']
      ? readFileSync(cluster['certificate-authority'])
      : undefined;
  return { server: cluster.server, ca, token: user.token, userAgent };
}
