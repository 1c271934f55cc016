// Reads the lab's admin kubeconfig (as cluster/apiserver/kubeconfig.ts writes it, or any with a
// token and inline CA) into what cluster/client's RestClient needs.
import { parse } from 'yaml';
import { ValidationError } from '../../common/errors.js';
import type { RestConfig } from '../../cluster/client/rest-client.js';

interface Named<T> {
  name?: string;
  [k: string]: unknown;
  value?: T;
}

export function restConfigFromKubeconfig(text: string, where: string): RestConfig {
  let doc: Record<string, unknown>;
  try {
    doc = parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new ValidationError(where, `not YAML: ${(err as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null) throw new ValidationError(where, 'not a kubeconfig');
  const list = (k: string): Named<unknown>[] => (Array.isArray(doc[k]) ? (doc[k] as Named<unknown>[]) : []);
  const current = doc['current-context'];
  const ctx = list('contexts').find((c) => c.name === current)?.context as
    { cluster?: string; user?: string } | undefined;
  if (!ctx) throw new ValidationError(`${where}: current-context`, `no context named ${JSON.stringify(current)}`);
  const cluster = list('clusters').find((c) => c.name === ctx.cluster)?.cluster as Record<string, unknown> | undefined;
  const user = list('users').find((u) => u.name === ctx.user)?.user as Record<string, unknown> | undefined;
  if (!cluster || typeof cluster.server !== 'string')
    throw new ValidationError(`${where}: clusters`, `no server for cluster ${JSON.stringify(ctx.cluster)}`);
  const config: RestConfig = { server: cluster.server, userAgent: 'kubewire-ui' };
  if (typeof cluster['certificate-authority-data'] === 'string')
    config.ca = Buffer.from(cluster['certificate-authority-data'], 'base64');
  if (user && typeof user.token === 'string') config.token = user.token;
  return config;
}
