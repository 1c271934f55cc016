// serviceaccounts/token (authentication.k8s.io/v1 TokenRequest), what `kubectl create token` and
// the kubelet's projected serviceAccountToken volumes call: a bound JWT for the account, optionally
// bound to a Pod (and that pod's Node), a Secret or a Node, as pkg/registry/core/serviceaccount/
// storage/token.go issues it. Audiences default to the apiserver's; expiry to one hour, at least
// ten minutes.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KObject } from '../registry/object-store.js';
import { badRequest, conflict, invalid, methodNotAllowed, notFound } from '../status.js';
import { decodeObject, readBody } from './body.js';
import { sendJson, type ApiContext, type RequestScope } from './context.js';
import { checkTypeMeta } from './object-writes.js';
import { dryRunOf } from './rest-handler.js';
import type { ObjectRef } from '../authn/service-account-token.js';
import { admit } from '../admission/admission.js';
import { rfc3339 } from '../../../common/time.js';

const MIN_SECONDS = 600;
const MAX_SECONDS = 2 ** 32;

export async function serveTokenRequest(
  ctx: ApiContext,
  req: IncomingMessage,
  res: ServerResponse,
  verb: string,
  s: RequestScope,
): Promise<void> {
  if (verb !== 'create') throw methodNotAllowed();
  const tokens = ctx.serviceAccountTokens;
  if (!tokens) throw methodNotAllowed();
  const body = decodeObject(await readBody(req), req.headers['content-type'], 'TokenRequest');
  checkTypeMeta(s.resource, body, 'TokenRequest', 'authentication.k8s.io/v1');
  const sa = ctx.store.get(s.resource, s.namespace, s.name);
  // Admission sees the TokenRequest (NodeRestriction: a kubelet only gets tokens for its pods).
  admit(ctx.admission, {
    operation: 'CREATE',
    resource: s.resource,
    subresource: 'token',
    namespace: s.namespace,
    name: s.name,
    object: body,
    user: s.user,
  });
  const spec = (body.spec ?? {}) as {
    audiences?: unknown;
    expirationSeconds?: unknown;
    boundObjectRef?: { kind?: string; apiVersion?: string; name?: string; uid?: string } | null;
  };
  const expirationSeconds = spec.expirationSeconds ?? 3600;
  const errors: Parameters<typeof invalid>[3] = [];
  if (typeof expirationSeconds !== 'number' || !Number.isInteger(expirationSeconds))
    throw badRequest('TokenRequest: spec.expirationSeconds must be an integer');
  if (expirationSeconds < MIN_SECONDS)
    errors.push({
      type: 'FieldValueInvalid',
      field: 'spec.expirationSeconds',
      value: expirationSeconds,
      detail: 'may not specify a duration less than 10 minutes',
    });
  if (expirationSeconds > MAX_SECONDS)
    errors.push({
      type: 'FieldValueTooLong',
      field: 'spec.expirationSeconds',
      detail: 'may not specify a duration larger than 2^32 seconds',
    });
  if (
    spec.audiences !== undefined &&
    (!Array.isArray(spec.audiences) || spec.audiences.some((a) => typeof a !== 'string'))
  )
    throw badRequest('TokenRequest: spec.audiences must be a list of strings');
  if (errors.length) throw invalid('TokenRequest', 'authentication.k8s.io', s.name, errors);
  const audiences = (spec.audiences as string[] | undefined)?.length
    ? (spec.audiences as string[])
    : tokens.apiAudiences;

  const saRef: ObjectRef = { name: s.name, uid: String(sa.metadata?.uid ?? '') };
  const binding: { pod?: ObjectRef; secret?: ObjectRef; node?: ObjectRef } = {};
  const ref = spec.boundObjectRef ?? undefined;
  if (ref) {
    const get = (plural: string, ns: string, name: string): KObject => {
      const r = ctx.catalog.find('', 'v1', plural)!;
      const o = ctx.store.tryGet(r, ns, name);
      if (!o) throw notFound(plural, '', name);
      if (ref.uid && ref.uid !== o.metadata?.uid)
        throw conflict(
          plural,
          '',
          name,
          `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`,
        );
      return o;
    };
    if (ref.apiVersion !== undefined && ref.apiVersion !== 'v1')
      throw badRequest(`cannot bind token to object of type ${ref.apiVersion}, ${ref.kind}`);
    switch (ref.kind) {
      case 'Pod': {
        const pod = get('pods', s.namespace, ref.name ?? '');
        if ((pod.spec?.serviceAccountName ?? 'default') !== s.name)
          throw badRequest(
            `cannot bind token for serviceaccount "${s.name}" to pod running with different serviceaccount name.`,
          );
        binding.pod = { name: pod.metadata!.name, uid: pod.metadata!.uid };
        const nodeName = pod.spec?.nodeName as string | undefined;
        const node = nodeName ? ctx.store.tryGet(ctx.catalog.find('', 'v1', 'nodes')!, '', nodeName) : undefined;
        if (node) binding.node = { name: nodeName!, uid: node.metadata!.uid };
        break;
      }
      case 'Secret': {
        const secret = get('secrets', s.namespace, ref.name ?? '');
        binding.secret = { name: secret.metadata!.name, uid: secret.metadata!.uid };
        break;
      }
      case 'Node': {
        const node = get('nodes', '', ref.name ?? '');
        binding.node = { name: node.metadata!.name, uid: node.metadata!.uid };
        break;
      }
      default:
        throw badRequest(`cannot bind token to object of type v1, ${ref.kind}`);
    }
  }
  const now = Math.floor(ctx.clock.now() / 1000);
  const out: KObject = {
    kind: 'TokenRequest',
    apiVersion: 'authentication.k8s.io/v1',
    metadata: { name: s.name, namespace: s.namespace, creationTimestamp: fromSeconds(now) },
    spec: { audiences, expirationSeconds, boundObjectRef: ref ?? null },
    status: { token: '', expirationTimestamp: fromSeconds(now + expirationSeconds) },
  };
  if (!dryRunOf(s.url)) {
    const issued = tokens.issue({
      namespace: s.namespace,
      serviceAccount: saRef,
      ...binding,
      audiences,
      expirationSeconds,
      now,
    });
    out.status = { token: issued.token, expirationTimestamp: fromSeconds(issued.expiresAt) };
  }
  sendJson(res, 201, out);
}

function fromSeconds(seconds: number): string {
  return rfc3339(seconds * 1000);
}
