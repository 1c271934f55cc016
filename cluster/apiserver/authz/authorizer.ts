// Authorization plugins: each says allow, deny or no opinion about (user, verb, resource); the
// first decision wins, and no decision at all is a deny (403).
import type { UserInfo } from '../authn/authenticator.js';

export interface AuthorizationAttributes {
  user: UserInfo;
  verb: string;
  isResourceRequest: boolean;
  /** For non-resource requests (/version, /healthz, /apis). */
  path: string;
  namespace: string;
  apiGroup: string;
  resource: string;
  subresource: string;
  /** For list/watch, the exact `metadata.name=` of the field selector, as RequestInfo sets it. */
  name: string;
  /** The request's raw field selector (list/watch), for the Node authorizer's `spec.nodeName=` rule. */
  fieldSelector?: string;
}

export type Decision = { decision: 'allow' | 'deny' | 'no-opinion'; reason: string };

export interface Authorizer {
  readonly name: string;
  authorize(attrs: AuthorizationAttributes): Decision;
}

export function authorize(chain: readonly Authorizer[], attrs: AuthorizationAttributes): Decision {
  const reasons: string[] = [];
  for (const a of chain) {
    const d = a.authorize(attrs);
    if (d.decision !== 'no-opinion') return d;
    if (d.reason) reasons.push(d.reason);
  }
  return { decision: 'deny', reason: reasons.join('; ') };
}

/** Members of system:masters may do anything (kube-apiserver's privileged-group authorizer). */
export class PrivilegedGroupAuthorizer implements Authorizer {
  readonly name = 'privileged-group';
  constructor(private readonly group = 'system:masters') {}
  authorize(attrs: AuthorizationAttributes): Decision {
    return attrs.user.groups.includes(this.group)
      ? { decision: 'allow', reason: `member of ${this.group}` }
      : { decision: 'no-opinion', reason: '' };
  }
}

/** The 403 message kube-apiserver writes (forbidden.go). */
export function forbiddenMessage(a: AuthorizationAttributes, reason: string): string {
  if (!a.isResourceRequest)
    return `forbidden: User "${a.user.name}" cannot ${a.verb} path "${a.path}"${reason ? `: ${reason}` : ''}`;
  const res = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const what = a.name
    ? `${a.resource}${a.apiGroup ? '.' + a.apiGroup : ''} "${a.name}"`
    : `${a.resource}${a.apiGroup ? '.' + a.apiGroup : ''}`;
  const scope = a.namespace ? `in the namespace "${a.namespace}"` : 'at the cluster scope';
  return `${what} is forbidden: User "${a.user.name}" cannot ${a.verb} resource "${res}" in API group "${a.apiGroup}" ${scope}${reason ? `: ${reason}` : ''}`;
}
