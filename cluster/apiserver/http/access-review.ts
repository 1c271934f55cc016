// authorization.k8s.io/v1 SelfSubjectAccessReview (`kubectl auth can-i VERB RESOURCE`) and
// SelfSubjectRulesReview (`kubectl auth can-i --list`): the authorizer chain asked about the caller.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { authorize } from '../authz/authorizer.js';
import { RbacAuthorizer } from '../authz/rbac-authorizer.js';
import { rulesFor } from '../authz/rbac-rules.js';
import { badRequest } from '../status.js';
import { decodeObject, readBody } from './body.js';
import { sendJson, type ApiContext, type RequestScope } from './context.js';
import { checkTypeMeta } from './object-writes.js';

export async function serveAccessReview(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, s: RequestScope): Promise<void> {
  const r = s.resource;
  const body = decodeObject(await readBody(req), req.headers['content-type'], r.kind);
  checkTypeMeta(r, body);
  const spec = body.spec ?? {};
  const user = s.user;
  if (r.plural === 'selfsubjectaccessreviews') {
    const ra = spec.resourceAttributes;
    const nra = spec.nonResourceAttributes;
    if (!ra && !nra) throw badRequest('SelfSubjectAccessReview: spec.resourceAttributes or spec.nonResourceAttributes is required');
    const d = authorize(ctx.authorizers, ra
      ? { user, verb: ra.verb ?? '', isResourceRequest: true, path: '', namespace: ra.namespace ?? '', apiGroup: ra.group ?? '', resource: ra.resource ?? '', subresource: ra.subresource ?? '', name: ra.name ?? '' }
      : { user, verb: nra.verb ?? '', isResourceRequest: false, path: nra.path ?? '', namespace: '', apiGroup: '', resource: '', subresource: '', name: '' });
    const status: Record<string, unknown> = { allowed: d.decision === 'allow' };
    if (d.decision === 'deny' && d.reason) status.denied = true;
    if (d.reason) status.reason = d.reason;
    return sendJson(res, 201, { kind: r.kind, apiVersion: 'authorization.k8s.io/v1', metadata: { creationTimestamp: null }, spec, status });
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
      if (rule.nonResourceURLs?.length) nonResourceRules.push({ verbs: rule.verbs, nonResourceURLs: rule.nonResourceURLs });
      else resourceRules.push({ verbs: rule.verbs, apiGroups: rule.apiGroups ?? [], resources: rule.resources ?? [], ...(rule.resourceNames?.length ? { resourceNames: rule.resourceNames } : {}) });
    }
  }
  sendJson(res, 201, { kind: r.kind, apiVersion: 'authorization.k8s.io/v1', metadata: { creationTimestamp: null }, spec, status: { resourceRules, nonResourceRules, incomplete: false } });
}
