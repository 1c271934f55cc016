// Subresources other than status: scale (autoscaling/v1 Scale over spec.replicas), pods/binding
// (the scheduler's assignment), namespaces/finalize; pods/log and the proxies go to the kubelet
// (kubelet-proxy.ts), pods/eviction and pods/ephemeralcontainers have files of their own.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KObject } from '../registry/object-store.js';
import { ApiError, badRequest, conflict, methodNotAllowed, successStatus } from '../status.js';
import { decodeObject, readBody } from './body.js';
import { sendJson, type ApiContext, type RequestScope } from './context.js';
import { checkTypeMeta, updateObject } from './object-writes.js';
import { fieldManagerOf } from './apply-handler.js';
import { setJsonPath } from '../crd/json-path.js';
import { applyPatch } from './patching.js';
import { dryRunOf } from './rest-handler.js';
import { proxyRequest } from './kubelet-proxy.js';
import { serveEviction } from './eviction.js';
import { serveEphemeralContainers } from './ephemeral-containers.js';
import { serveTokenRequest } from './token-request.js';
import { rfc3339 } from '../../../common/time.js';

export async function serveSubresource(
  ctx: ApiContext,
  req: IncomingMessage,
  res: ServerResponse,
  verb: string,
  s: RequestScope,
): Promise<void> {
  switch (s.subresource) {
    case 'scale':
      return serveScale(ctx, req, res, verb, s);
    case 'binding':
      if (verb !== 'create') throw methodNotAllowed();
      return serveBinding(ctx, req, res, s);
    case 'log':
      if (verb !== 'get') throw methodNotAllowed();
      return proxyRequest(ctx, req, res, s);
    case 'eviction':
      if (verb !== 'create') throw methodNotAllowed();
      return serveEviction(ctx, req, res, s);
    case 'ephemeralcontainers':
      return serveEphemeralContainers(ctx, req, res, verb, s);
    case 'token':
      return serveTokenRequest(ctx, req, res, verb, s);
    case 'exec':
    case 'attach':
    case 'portforward':
      // Without an upgrade there is no stream to carry them (kube-apiserver answers 400 too).
      throw badRequest('Upgrade request required');
    case 'finalize':
      if (verb !== 'update') throw methodNotAllowed();
      return serveFinalize(ctx, req, res, s);
  }
  if (s.subresource === 'proxy' || s.subresource.startsWith('proxy/')) return proxyRequest(ctx, req, res, s);
  throw methodNotAllowed();
}

async function serveScale(
  ctx: ApiContext,
  req: IncomingMessage,
  res: ServerResponse,
  verb: string,
  s: RequestScope,
): Promise<void> {
  const r = s.resource;
  const current = ctx.store.get(r, s.namespace, s.name);
  const scale = ctx.strategy.scaleOf(r, current);
  if (verb === 'get') return sendJson(res, 200, scale);
  let wanted: KObject;
  if (verb === 'update') {
    wanted = decodeObject(await readBody(req), req.headers['content-type'], 'Scale');
    checkTypeMeta(r, wanted, 'Scale', 'autoscaling/v1');
  } else if (verb === 'patch') {
    wanted = applyPatch(r, scale, await readBody(req), req.headers['content-type'], 'scale');
  } else throw methodNotAllowed();
  const replicas = wanted.spec?.replicas;
  if (!Number.isInteger(replicas) || replicas < 0) {
    throw new ApiError(
      422,
      'Invalid',
      `Scale.autoscaling "${s.name}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`,
      {
        name: s.name,
        group: 'autoscaling',
        kind: 'Scale',
        causes: [
          {
            reason: 'FieldValueInvalid',
            message: `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`,
            field: 'spec.replicas',
          },
        ],
      },
    );
  }
  const next = structuredClone(current);
  if (r.custom?.scale) setJsonPath(next, r.custom.scale.specReplicasPath, replicas);
  else next.spec = { ...(next.spec ?? {}), replicas };
  const rv = wanted.metadata?.resourceVersion;
  const updated = updateObject(
    ctx,
    r,
    s.namespace,
    '',
    next,
    current,
    s.user,
    {
      dryRun: dryRunOf(s.url),
      manager: fieldManagerOf(req, s.url, verb === 'patch' ? 'PatchOptions' : 'UpdateOptions'),
      fieldSubresource: 'scale',
    },
    rv,
  );
  sendJson(res, 200, ctx.strategy.scaleOf(r, updated));
}

async function serveBinding(
  ctx: ApiContext,
  req: IncomingMessage,
  res: ServerResponse,
  s: RequestScope,
): Promise<void> {
  const r = s.resource;
  const binding = decodeObject(await readBody(req), req.headers['content-type'], 'Binding');
  checkTypeMeta(r, binding, 'Binding', 'v1');
  const target = binding.target ?? {};
  if (!target.name)
    throw new ApiError(422, 'Invalid', `Binding "${s.name}" is invalid: target.name: Required value`, {
      name: s.name,
      kind: 'Binding',
      causes: [{ reason: 'FieldValueRequired', message: 'Required value', field: 'target.name' }],
    });
  if (target.kind && target.kind !== 'Node')
    throw badRequest(`invalid binding target kind ${target.kind}: only Node is supported`);
  const current = ctx.store.get(r, s.namespace, s.name);
  if (current.metadata?.deletionTimestamp)
    throw conflict('pods', '', s.name, 'pod is being deleted, cannot be assigned to a host');
  if (current.spec?.nodeName)
    throw conflict('pods', '', s.name, `pod ${s.name} is already assigned to node "${current.spec.nodeName}"`);
  // `current` was decoded for this request alone: changed in place instead of cloned.
  const currentRv = current.metadata!.resourceVersion as string;
  const next = current;
  next.spec.nodeName = target.name;
  const conds: KObject[] = (next.status ??= {}).conditions ?? [];
  next.status.conditions = [
    ...conds.filter((c) => c.type !== 'PodScheduled'),
    {
      type: 'PodScheduled',
      status: 'True',
      lastProbeTime: null,
      lastTransitionTime: rfc3339(ctx.clock.now()),
    },
  ];
  if (binding.metadata?.annotations)
    next.metadata!.annotations = { ...(next.metadata!.annotations ?? {}), ...binding.metadata.annotations };
  const rv = binding.metadata?.resourceVersion;
  // Binding writes spec.nodeName and status together, which the main and status paths each refuse.
  if (rv && rv !== currentRv)
    throw conflict(
      'pods',
      '',
      s.name,
      'the object has been modified; please apply your changes to the latest version and try again',
    );
  if (!dryRunOf(s.url)) {
    const stored = await ctx.store.updateAsync(r, s.namespace, next, Number(currentRv));
    ctx.observeWrite(r, stored, false);
  }
  sendJson(res, 201, { ...successStatus({}), code: 201 });
}

async function serveFinalize(
  ctx: ApiContext,
  req: IncomingMessage,
  res: ServerResponse,
  s: RequestScope,
): Promise<void> {
  const r = s.resource;
  const body = decodeObject(await readBody(req), req.headers['content-type'], 'Namespace');
  checkTypeMeta(r, body);
  const current = ctx.store.get(r, '', s.name);
  const next = structuredClone(current);
  next.spec = { ...(next.spec ?? {}), finalizers: body.spec?.finalizers ?? [] };
  // Only spec.finalizers changes here; updateObject's namespace rule would restore it.
  const md = next.metadata!;
  const finished = md.deletionTimestamp && !(md.finalizers ?? []).length && !next.spec.finalizers.length;
  if (finished) {
    const gone = ctx.store.delete(r, '', s.name, Number(md.resourceVersion));
    ctx.observeWrite(r, gone, true);
    return sendJson(res, 200, gone);
  }
  const stored = ctx.store.update(r, '', next, Number(md.resourceVersion));
  ctx.observeWrite(r, stored, false);
  sendJson(res, 200, stored);
}
