// imagePullSecrets → PullOptions.auth, as the kubelet reads them: Secrets of type
// kubernetes.io/dockerconfigjson (`.dockerconfigjson`: {"auths": {host: {...}}}) or the older
// kubernetes.io/dockercfg (`.dockercfg`: {host: {...}}), keys normalised to registry hosts.
import { DOCKER_HUB, DOCKER_HUB_API } from './image-ref.js';
import type { RegistryAuth } from './image-service.js';

/** The parts of a core/v1 Secret this reads (data values are base64, as the API serves them). */
export interface PullSecret {
  type?: string;
  data?: Record<string, string>;
}

interface DockerAuthEntry {
  username?: string;
  password?: string;
  auth?: string;
  identitytoken?: string;
  registrytoken?: string;
}

/** "https://index.docker.io/v1/" → docker.io; "https://my.reg:5000/path" → my.reg:5000. */
export function registryHostOf(key: string): string {
  const host = key
    .replace(/^[a-z]+:\/\//i, '')
    .replace(/\/.*$/, '')
    .toLowerCase();
  return host === 'index.docker.io' || host === DOCKER_HUB_API ? DOCKER_HUB : host;
}

function entryAuth(e: DockerAuthEntry): RegistryAuth | undefined {
  const token = e.registrytoken ?? e.identitytoken;
  if (e.username !== undefined || e.password !== undefined)
    return { username: e.username ?? '', password: e.password ?? '', ...(token ? { token } : {}) };
  if (e.auth) {
    const plain = Buffer.from(e.auth, 'base64').toString('utf8');
    const i = plain.indexOf(':');
    if (i >= 0) return { username: plain.slice(0, i), password: plain.slice(i + 1), ...(token ? { token } : {}) };
  }
  return token ? { token } : undefined;
}

/** Credentials by registry host from a pod's pull secrets; the first secret naming a host wins. */
export function authFromPullSecrets(secrets: PullSecret[]): Record<string, RegistryAuth> {
  const out: Record<string, RegistryAuth> = {};
  for (const s of secrets) {
    let entries: Record<string, DockerAuthEntry> | undefined;
    try {
      if (s.type === 'kubernetes.io/dockerconfigjson' && s.data?.['.dockerconfigjson']) {
        entries = (
          JSON.parse(Buffer.from(s.data['.dockerconfigjson'], 'base64').toString('utf8')) as {
            auths?: Record<string, DockerAuthEntry>;
          }
        ).auths;
      } else if (s.type === 'kubernetes.io/dockercfg' && s.data?.['.dockercfg']) {
        entries = JSON.parse(Buffer.from(s.data['.dockercfg'], 'base64').toString('utf8')) as Record<
          string,
          DockerAuthEntry
        >;
      }
    } catch {
      continue; // the kubelet ignores a malformed secret and pulls without it
    }
    for (const [key, e] of Object.entries(entries ?? {})) {
      const host = registryHostOf(key);
      const a = e && typeof e === 'object' ? entryAuth(e) : undefined;
      if (a && !out[host]) out[host] = a;
    }
  }
  return out;
}
