// Who asks and whether they may, before any handler runs (kube-apiserver's authentication,
// impersonation and authorization filters): the user from the union of authenticators, the
// request's attributes from its path, one authorization per verb it needs.
import type { IncomingMessage } from 'node:http';
import { authenticate, type Authenticator, type UserInfo } from '../authn/authenticator.js';
import { verifiedClientCert } from '../authn/client-cert.js';
import { authorize, forbiddenMessage, type AuthorizationAttributes, type Authorizer } from '../authz/authorizer.js';
import { impersonatedUser } from '../authz/impersonation.js';
import { exactFieldValue } from '../authz/node-authorizer.js';
import { ApiError, unauthorized } from '../status.js';
import { parseRequestInfo, type RequestInfo } from './request-info.js';

/** Authentication and authorization of one request (both the plain and the upgrade path). */
export function authenticateAndAuthorize(
  req: IncomingMessage,
  url: URL,
  authenticators: Authenticator[],
  authorizers: Authorizer[],
): { user: UserInfo; info: RequestInfo } {
  const clientCert = verifiedClientCert(req.socket);
  const caller = authenticate(authenticators, { headers: req.headers, ...(clientCert ? { clientCert } : {}) });
  if (!caller) throw unauthorized();
  const user = impersonatedUser(caller, req.headers, req.headersDistinct, authorizers);
  const info = parseRequestInfo(req.method ?? 'GET', url);
  const attrs: AuthorizationAttributes = {
    user,
    verb: info.isResourceRequest ? info.verb : (req.method ?? 'GET').toLowerCase(),
    isResourceRequest: info.isResourceRequest,
    path: url.pathname,
    namespace: info.namespace,
    apiGroup: info.apiGroup,
    resource: info.resource,
    // services/x/proxy/a/b is authorized as the `proxy` subresource, as RequestInfoFactory does.
    subresource: info.subresource.split('/')[0]!,
    name: info.name || listedName(info.verb, url),
    fieldSelector: url.searchParams.get('fieldSelector') ?? undefined,
  };
  const verbs = [attrs.verb];
  // A WebSocket exec/attach/portforward arrives as GET; 1.32 also demands create on it
  // (AuthorizePodWebsocketUpgradeCreatePermission), since it is the same power as the POST.
  if (
    attrs.resource === 'pods' &&
    ['exec', 'attach', 'portforward'].includes(attrs.subresource) &&
    attrs.verb === 'get'
  )
    verbs.push('create');
  for (const verb of verbs) {
    const a = { ...attrs, verb };
    const d = authorize(authorizers, a);
    if (d.decision !== 'allow') {
      throw new ApiError(
        403,
        'Forbidden',
        forbiddenMessage(a, d.reason),
        info.isResourceRequest
          ? { name: info.name || undefined, group: info.apiGroup || undefined, kind: info.resource }
          : undefined,
      );
    }
  }
  return { user, info };
}

/** RequestInfo's name for a list/watch: the field selector's exact `metadata.name=`, when it is a valid path segment. */
function listedName(verb: string, url: URL): string {
  if (verb !== 'list' && verb !== 'watch') return '';
  const name = exactFieldValue(url.searchParams.get('fieldSelector') ?? undefined, 'metadata.name') ?? '';
  return name && name !== '.' && name !== '..' && !/[/%]/.test(name) ? name : '';
}
