// User impersonation (k8s.io/apiserver's WithImpersonation filter): `Impersonate-User`,
// `Impersonate-Group` and `Impersonate-Uid` headers make the request act as that user, once the
// real caller is authorized to `impersonate` users (or the service account), each group and the
// uid. `kubectl --as` / `--as-group` and `auth can-i --as` rely on it.
import type { IncomingHttpHeaders } from 'node:http';
import type { UserInfo } from '../authn/authenticator.js';
import { ApiError } from '../status.js';
import { authorize, type AuthorizationAttributes, type Authorizer } from './authorizer.js';

const SA_PREFIX = 'system:serviceaccount:';

const values = (h: string | string[] | undefined): string[] =>
  h === undefined ? [] : (Array.isArray(h) ? h : [h]).map((v) => v.trim()).filter((v) => v !== '');

/** The user a request acts as: the caller, or whom its Impersonate-* headers name. */
export function impersonatedUser(
  caller: UserInfo,
  headers: IncomingHttpHeaders,
  distinct: Record<string, string[] | undefined> | undefined,
  authorizers: readonly Authorizer[],
): UserInfo {
  const user = values(headers['impersonate-user'])[0];
  const groups = values(distinct?.['impersonate-group'] ?? headers['impersonate-group']);
  const uid = values(headers['impersonate-uid'])[0];
  const extras = Object.keys(headers).filter((k) => k.startsWith('impersonate-extra-'));
  if (user === undefined) {
    if (groups.length || uid !== undefined || extras.length)
      throw new ApiError(
        500,
        'InternalError',
        `Internal error occurred: requested [${[...groups.map((g) => `group ${g}`), ...(uid ? [`uid ${uid}`] : [])].join(' ')}] without impersonating a user`,
      );
    return caller;
  }
  const check = (attrs: Partial<AuthorizationAttributes> & { resource: string; name: string }) => {
    const a: AuthorizationAttributes = {
      user: caller,
      verb: 'impersonate',
      isResourceRequest: true,
      path: '',
      namespace: '',
      apiGroup: '',
      subresource: '',
      ...attrs,
    };
    if (authorize(authorizers, a).decision !== 'allow') {
      const scope = a.namespace ? `in the namespace "${a.namespace}"` : 'at the cluster scope';
      throw new ApiError(
        403,
        'Forbidden',
        `${a.resource}${a.apiGroup ? `.${a.apiGroup}` : ''} "${a.name}" is forbidden: User "${caller.name}" cannot impersonate resource "${a.resource}" in API group "${a.apiGroup}" ${scope}`,
        { name: a.name, group: a.apiGroup || undefined, kind: a.resource },
      );
    }
  };
  let saGroups: string[] = [];
  if (user.startsWith(SA_PREFIX)) {
    const [ns, name] = user.slice(SA_PREFIX.length).split(':');
    check({ resource: 'serviceaccounts', namespace: ns ?? '', name: name ?? '' });
    // A service account's groups come with it unless groups are asked for explicitly.
    if (!groups.length) saGroups = ['system:serviceaccounts', `system:serviceaccounts:${ns}`];
  } else check({ resource: 'users', name: user });
  for (const g of groups) check({ resource: 'groups', name: g });
  if (uid !== undefined) check({ resource: 'uids', apiGroup: 'authentication.k8s.io', name: uid });
  for (const k of extras)
    for (const v of values(headers[k]))
      check({
        resource: 'userextras',
        apiGroup: 'authentication.k8s.io',
        subresource: k.slice('impersonate-extra-'.length),
        name: v,
      });
  const all = [...groups, ...saGroups];
  if (user !== 'system:anonymous' && !all.includes('system:authenticated')) all.push('system:authenticated');
  return { name: user, uid: uid ?? '', groups: all };
}
