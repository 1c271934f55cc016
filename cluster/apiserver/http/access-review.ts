// authorization.k8s.io/v1 SelfSubjectAccessReview (`kubectl auth can-i VERB RESOURCE`) and
// SelfSubjectRulesReview (`kubectl auth can-i --list`): the authorizer chain asked about the caller.
// TokenReview and SubjectAccessReview (authentication.k8s.io, authorization.k8s.io): the same
// chains asked on behalf of another component — a kubelet in webhook mode checking its callers.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { authorize } from '../authz/authorizer.js';
import { authenticateRequest, type UserInfo } from '../authn/authenticator.js';
import { RbacAuthorizer } from '../authz/rbac-authorizer.js';
import { rulesFor } from '../authz/rbac-rules.js';
import { badRequest } from '../status.js';
import { decodeObject, readBody } from './body.js';
import { sendJson, type ApiContext, type RequestScope } from './context.js';
import { checkTypeMeta } from './object-writes.js';

export async function serveAccessReview(
  ctx: ApiContext,
  req: IncomingMessage,
  res: ServerResponse,
  s: RequestScope,
): Promise<void> {
  const r = s.resource;
  const body = decodeObject(await readBody(req), req.headers['content-type'], r.kind);
  checkTypeMeta(r, body);
  const spec = body.spec ?? {};
  const user = s.user;
  if (r.plural === 'tokenreviews') return sendJson(res, 201, tokenReview(ctx, spec));
  if (r.plural === 'selfsubjectreviews')
    return sendJson(res, 201, {
      kind: 'SelfSubjectReview',
      apiVersion: 'authentication.k8s.io/v1',
      metadata: { creationTimestamp: null },
      status: { userInfo: userInfoOf(user) },
    });
  if (r.plural === 'subjectaccessreviews') return sendJson(res, 201, subjectAccessReview(ctx, spec));
  if (r.plural === 'selfsubjectaccessreviews') {
    const ra = spec.resourceAttributes;
    const nra = spec.nonResourceAttributes;
    if (!ra && !nra)
      throw badRequest('SelfSubjectAccessReview: spec.resourceAttributes or spec.nonResourceAttributes is required');
    const d = authorize(
      ctx.authorizers,
      ra
        ? {
            user,
            verb: ra.verb ?? '',
            isResourceRequest: true,
            path: '',
            namespace: ra.namespace ?? '',
            apiGroup: ra.group ?? '',
            resource: ra.resource ?? '',
            subresource: ra.subresource ?? '',
            name: ra.name ?? '',
          }
        : {
            user,
            verb: nra.verb ?? '',
            isResourceRequest: false,
            path: nra.path ?? '',
            namespace: '',
            apiGroup: '',
            resource: '',
            subresource: '',
            name: '',
          },
    );
    const status: Record<string, unknown> = { allowed: d.decision === 'allow' };
    if (d.decision === 'deny' && d.reason) status.denied = true;
    if (d.reason) status.reason = d.reason;
    return sendJson(res, 201, {
      kind: r.kind,
      apiVersion: 'authorization.k8s.io/v1',
      metadata: { creationTimestamp: null },
      spec,
      status,
    });
  }
  // Rules review: system:masters may do everything; otherwise the RBAC rules that apply.
  const namespace = spec.namespace ?? '';
  const resourceRules: Record<string, unknown>[] = [];
  const nonResourceRules: Record<string, unknown>[] = [];
  if (user.groups.includes('system:masters')) {
    resourceRules.push({ verbs: ['*'], apiGroups: ['*'], resources: ['*'] });
    nonResourceRules.push({ verbs: ['*'], nonResourceURLs: ['*'] });
  }
  const rbac = ctx.authorizers.find((a): a is RbacAuthorizer => a instanceof RbacAuthorizer);
  if (rbac) {
    for (const { rule } of rulesFor(rbac, user, namespace)) {
      if (rule.nonResourceURLs?.length)
        nonResourceRules.push({ verbs: rule.verbs, nonResourceURLs: rule.nonResourceURLs });
      else
        resourceRules.push({
          verbs: rule.verbs,
          apiGroups: rule.apiGroups ?? [],
          resources: rule.resources ?? [],
          ...(rule.resourceNames?.length ? { resourceNames: rule.resourceNames } : {}),
        });
    }
  }
  sendJson(res, 201, {
    kind: r.kind,
    apiVersion: 'authorization.k8s.io/v1',
    metadata: { creationTimestamp: null },
    spec,
    status: { resourceRules, nonResourceRules, incomplete: false },
  });
}

/** authentication/v1 UserInfo: extra only when there is some (it is omitempty). */
function userInfoOf(user: UserInfo): Record<string, unknown> {
  return {
    username: user.name,
    uid: user.uid,
    groups: user.groups,
    ...(user.extra && Object.keys(user.extra).length ? { extra: user.extra } : {}),
  };
}

/** authentication.k8s.io/v1 TokenReview: who holds this token (the authenticator chain). */
function tokenReview(ctx: ApiContext, spec: { token?: string; audiences?: string[] }): unknown {
  if (typeof spec.token !== 'string' || !spec.token) throw badRequest('TokenReview: spec.token is required');
  const audiences = Array.isArray(spec.audiences) && spec.audiences.length ? spec.audiences : undefined;
  const r = authenticateRequest(ctx.authenticators, {
    headers: { authorization: `Bearer ${spec.token}` },
    ...(audiences ? { audiences } : {}),
  });
  const user = r && 'user' in r ? r.user : undefined;
  // Without spec.audiences the token must be meant for the apiserver, and the answer names those.
  const status = user
    ? {
        authenticated: true,
        user: userInfoOf(user),
        audiences:
          r && 'user' in r && r.audiences ? r.audiences : (audiences ?? ctx.serviceAccountTokens?.apiAudiences ?? []),
      }
    : { authenticated: false, user: {}, error: r && 'rejected' in r ? r.rejected : 'invalid bearer token' };
  return {
    kind: 'TokenReview',
    apiVersion: 'authentication.k8s.io/v1',
    metadata: { creationTimestamp: null },
    spec: { audiences: spec.audiences },
    status,
  };
}

/** authorization.k8s.io/v1 SubjectAccessReview: may user U do V (the authorizer chain). */
function subjectAccessReview(
  ctx: ApiContext,
  spec: {
    user?: string;
    uid?: string;
    groups?: string[];
    resourceAttributes?: Record<string, string>;
    nonResourceAttributes?: Record<string, string>;
  },
): unknown {
  const ra = spec.resourceAttributes;
  const nra = spec.nonResourceAttributes;
  if (!spec.user && !spec.groups?.length) throw badRequest('SubjectAccessReview: spec.user or spec.groups is required');
  if (!ra && !nra)
    throw badRequest('SubjectAccessReview: spec.resourceAttributes or spec.nonResourceAttributes is required');
  const user: UserInfo = { name: spec.user ?? '', uid: spec.uid ?? '', groups: spec.groups ?? [] };
  const d = authorize(
    ctx.authorizers,
    ra
      ? {
          user,
          verb: ra.verb ?? '',
          isResourceRequest: true,
          path: '',
          namespace: ra.namespace ?? '',
          apiGroup: ra.group ?? '',
          resource: ra.resource ?? '',
          subresource: ra.subresource ?? '',
          name: ra.name ?? '',
        }
      : {
          user,
          verb: nra!.verb ?? '',
          isResourceRequest: false,
          path: nra!.path ?? '',
          namespace: '',
          apiGroup: '',
          resource: '',
          subresource: '',
          name: '',
        },
  );
  const status: Record<string, unknown> = { allowed: d.decision === 'allow' };
  if (d.decision === 'deny' && d.reason) status.denied = true;
  if (d.reason) status.reason = d.reason;
  return {
    kind: 'SubjectAccessReview',
    apiVersion: 'authorization.k8s.io/v1',
    metadata: { creationTimestamp: null },
    spec,
    status,
  };
}
