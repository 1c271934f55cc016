// Authentication plugins: each looks at a request and either names the user or passes. The chain
// asks them in turn until one answers (the article's "API server calls these plugins in turn").
import type { IncomingHttpHeaders } from 'node:http';

export interface UserInfo {
  name: string;
  uid: string;
  groups: string[];
  /** Extra attributes (a bound token's pod-name, pod-uid, node-name, credential-id). */
  extra?: Record<string, string[]>;
}

/** A TLS client certificate the server verified against the cluster CA. */
export interface VerifiedClientCert {
  commonName: string;
  organizations: string[];
}

export interface AuthenticationRequest {
  headers: IncomingHttpHeaders;
  /** Set when the request came over TLS with a client certificate signed by the cluster CA. */
  clientCert?: VerifiedClientCert;
  /** The audiences the credential must be meant for (TokenReview's spec.audiences); default: the apiserver's. */
  audiences?: string[];
}

export type AuthenticationResult = { user: UserInfo; audiences?: string[] } | { rejected: string } | undefined;

export interface Authenticator {
  readonly name: string;
  /** A user, an explicit rejection (credentials present but wrong), or undefined (not mine). */
  authenticate(req: AuthenticationRequest): AuthenticationResult;
}

/** Every authenticated user is also in system:authenticated, as kube-apiserver adds. */
export function authenticate(chain: readonly Authenticator[], req: AuthenticationRequest): UserInfo | undefined {
  const r = authenticateRequest(chain, req);
  return r && 'user' in r ? r.user : undefined;
}

/** The chain's answer with the audiences the credential matched, or why it was refused. */
export function authenticateRequest(
  chain: readonly Authenticator[],
  req: AuthenticationRequest,
): { user: UserInfo; audiences?: string[] } | { rejected: string } | undefined {
  for (const a of chain) {
    const r = a.authenticate(req);
    if (!r) continue;
    if ('rejected' in r) return r;
    const groups = r.user.groups.includes('system:authenticated')
      ? r.user.groups
      : [...r.user.groups, 'system:authenticated'];
    return { user: { ...r.user, groups }, ...(r.audiences ? { audiences: r.audiences } : {}) };
  }
  return undefined;
}

export function bearerToken(headers: IncomingHttpHeaders): string | undefined {
  const h = headers.authorization;
  if (!h) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m ? m[1] : undefined;
}
