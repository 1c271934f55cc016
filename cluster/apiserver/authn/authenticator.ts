// Authentication plugins: each looks at a request and either names the user or passes. The chain
// asks them in turn until one answers (the article's "API server calls these plugins in turn").
import type { IncomingHttpHeaders } from 'node:http';

export interface UserInfo {
  name: string;
  uid: string;
  groups: string[];
}

export interface AuthenticationRequest {
  headers: IncomingHttpHeaders;
}

export type AuthenticationResult = { user: UserInfo } | { rejected: string } | undefined;

export interface Authenticator {
  readonly name: string;
  /** A user, an explicit rejection (credentials present but wrong), or undefined (not mine). */
  authenticate(req: AuthenticationRequest): AuthenticationResult;
}

/** Every authenticated user is also in system:authenticated, as kube-apiserver adds. */
export function authenticate(chain: readonly Authenticator[], req: AuthenticationRequest): UserInfo | undefined {
  for (const a of chain) {
    const r = a.authenticate(req);
    if (!r) continue;
    if ('rejected' in r) return undefined;
    const groups = r.user.groups.includes('system:authenticated')
      ? r.user.groups
      : [...r.user.groups, 'system:authenticated'];
    return { ...r.user, groups };
  }
  return undefined;
}

export function bearerToken(headers: IncomingHttpHeaders): string | undefined {
  const h = headers.authorization;
  if (!h) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m ? m[1] : undefined;
}
