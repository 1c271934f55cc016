// Bound service-account tokens (KEP-1205), as kube-apiserver issues them through TokenRequest and
// accepts them: a JWT with iss/sub/aud/exp/iat/nbf/jti and the `kubernetes.io` claim that binds it
// to the account (name and uid) and, when asked, to a Pod (and the pod's Node) or a Secret. A token
// is accepted only while every object it names still exists with the same uid — deleting the pod
// invalidates its tokens at once (pkg/serviceaccount/claims.go's validator).
import { randomUUID } from 'node:crypto';
import type { KObject } from '../registry/object-store.js';
import {
  bearerToken,
  type AuthenticationRequest,
  type AuthenticationResult,
  type Authenticator,
} from './authenticator.js';
import type { ServiceAccountKey } from './service-account-key.js';

/** kubeadm's --service-account-issuer, also the default (and only) API audience. */
export const DEFAULT_ISSUER = 'https://kubernetes.default.svc.cluster.local';

export interface ObjectRef {
  name: string;
  uid: string;
}

export interface TokenBinding {
  namespace: string;
  serviceAccount: ObjectRef;
  pod?: ObjectRef;
  secret?: ObjectRef;
  node?: ObjectRef;
}

export interface IssueRequest extends TokenBinding {
  audiences: string[];
  expirationSeconds: number;
  /** Seconds since the epoch. */
  now: number;
}

/** What the validator looks up: the bound objects as stored now. */
export interface BoundObjects {
  get(kind: 'serviceaccounts' | 'pods' | 'secrets' | 'nodes', namespace: string, name: string): KObject | undefined;
}

export class ServiceAccountTokens implements Authenticator {
  readonly name = 'service-account-token';

  constructor(
    private readonly key: ServiceAccountKey,
    private readonly objects: BoundObjects,
    private readonly nowSeconds: () => number,
    readonly issuer = DEFAULT_ISSUER,
    readonly apiAudiences: string[] = [DEFAULT_ISSUER],
  ) {}

  /** The OIDC discovery document (/.well-known/openid-configuration), as kube-apiserver serves it. */
  openIdConfiguration(): Record<string, unknown> {
    return {
      issuer: this.issuer,
      jwks_uri: `${this.issuer}/openid/v1/jwks`,
      response_types_supported: ['id_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['ES256'],
    };
  }

  /** The public keys that verify the tokens (/openid/v1/jwks). */
  jwks(): Record<string, unknown> {
    return { keys: [this.key.jwk()] };
  }

  issue(r: IssueRequest): { token: string; expiresAt: number } {
    const exp = r.now + r.expirationSeconds;
    const k8s: Record<string, unknown> = { namespace: r.namespace };
    if (r.node) k8s.node = { name: r.node.name, uid: r.node.uid };
    if (r.pod) k8s.pod = { name: r.pod.name, uid: r.pod.uid };
    if (r.secret) k8s.secret = { name: r.secret.name, uid: r.secret.uid };
    k8s.serviceaccount = { name: r.serviceAccount.name, uid: r.serviceAccount.uid };
    const claims = {
      aud: r.audiences,
      exp,
      iat: r.now,
      iss: this.issuer,
      jti: randomUUID(),
      'kubernetes.io': k8s,
      nbf: r.now,
      sub: `system:serviceaccount:${r.namespace}:${r.serviceAccount.name}`,
    };
    return { token: this.key.sign(claims), expiresAt: exp };
  }

  authenticate(req: AuthenticationRequest): AuthenticationResult {
    const token = bearerToken(req.headers);
    // Not a JWT from this issuer: someone else's token (the token file's), not a rejection.
    if (!token || token.split('.').length !== 3) return undefined;
    const claims = this.key.verify(token);
    if (!claims) return issuerOf(token) === this.issuer ? { rejected: 'invalid bearer token' } : undefined;
    const why = this.invalid(claims, req.audiences ?? this.apiAudiences);
    if (typeof why === 'string') return { rejected: why };
    return why;
  }

  private invalid(
    c: Record<string, unknown>,
    audiences: string[],
  ): string | { user: import('./authenticator.js').UserInfo; audiences: string[] } {
    if (c.iss !== this.issuer) return 'invalid bearer token';
    const now = this.nowSeconds();
    // jwt.Expected's default leeway is one minute either side.
    if (typeof c.exp !== 'number' || now > c.exp + 60) return 'Token has expired.';
    if (typeof c.nbf === 'number' && now < c.nbf - 60) return 'Token used before issued.';
    const aud = Array.isArray(c.aud)
      ? c.aud.filter((a): a is string => typeof a === 'string')
      : typeof c.aud === 'string'
        ? [c.aud]
        : [];
    const matched = audiences.filter((a) => aud.includes(a));
    if (!matched.length) return 'token audiences is invalid for the target audiences';
    const k = c['kubernetes.io'] as Record<string, { name?: string; uid?: string } | string> | undefined;
    const ns = typeof k?.namespace === 'string' ? k.namespace : '';
    const sa = typeof k?.serviceaccount === 'object' ? k.serviceaccount : undefined;
    if (!ns || !sa?.name || c.sub !== `system:serviceaccount:${ns}:${sa.name}`) return 'invalid bearer token';
    const account = this.objects.get('serviceaccounts', ns, sa.name);
    if (!account || account.metadata?.uid !== sa.uid || account.metadata?.deletionTimestamp)
      return 'Token has been invalidated';
    const extra: Record<string, string[]> = {};
    for (const kind of ['pod', 'secret'] as const) {
      const ref = typeof k?.[kind] === 'object' ? (k[kind] as { name?: string; uid?: string }) : undefined;
      if (!ref) continue;
      const obj = this.objects.get(kind === 'pod' ? 'pods' : 'secrets', ns, ref.name ?? '');
      if (!obj || obj.metadata?.uid !== ref.uid) return 'Token has been invalidated';
      const del = obj.metadata?.deletionTimestamp as string | undefined;
      if (del && Date.parse(del) / 1000 < now) return 'Token has been invalidated';
      if (kind === 'pod') {
        extra['authentication.kubernetes.io/pod-name'] = [ref.name!];
        extra['authentication.kubernetes.io/pod-uid'] = [ref.uid!];
      }
    }
    const node = typeof k?.node === 'object' ? k.node : undefined;
    if (node?.name) {
      extra['authentication.kubernetes.io/node-name'] = [node.name];
      if (node.uid) extra['authentication.kubernetes.io/node-uid'] = [node.uid];
    }
    if (typeof c.jti === 'string') extra['authentication.kubernetes.io/credential-id'] = [`JTI=${c.jti}`];
    return {
      user: {
        name: `system:serviceaccount:${ns}:${sa.name}`,
        uid: sa.uid ?? '',
        groups: ['system:serviceaccounts', `system:serviceaccounts:${ns}`],
        extra,
      },
      audiences: matched,
    };
  }
}

function issuerOf(token: string): unknown {
  try {
    return (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as { iss?: unknown }).iss;
  } catch {
    return undefined;
  }
}
