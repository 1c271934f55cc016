// The REST verbs on resources: get, list, watch, create, update, patch, delete, deletecollection,
// on the main resource and its status/scale/binding/log/finalize subresources.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KObject, ListOptions } from '../registry/object-store.js';
import { apiVersionOf, type ResourceInfo } from '../resources.js';
import { parseFieldSelector, selectableFields, checkFieldSelector } from '../selectors/field-selector.js';
import { parseLabelSelector } from '../selectors/label-selector.js';
import {
  ApiError,
  badRequest,
  methodNotAllowed,
  resourceNotFound,
  successStatus,
  unsupportedMediaType,
} from '../status.js';
import { printerOf } from '../table/resource-printer.js';
import { parseIncludeObject, partialObjectMetadata, toTable } from '../table/table.js';
import { decodeJson, decodeObject, mediaType, readBody } from './body.js';
import { sendJson, warningHeader, type ApiContext, type RequestScope } from './context.js';
import { deleteObject, deleteObjectAsync, parseDeleteOptions } from './deletion.js';
import { responseForm } from './negotiation.js';
import { createObjectAsync, updateObjectAsync } from './object-writes.js';
import { applyPatch, PATCH_TYPES } from './patching.js';
import { serveSubresource } from './subresources.js';
import { serveWatch } from './watch-handler.js';
import { queryInt64 } from './query-params.js';
import { checkUnknownFields } from './field-validation.js';
import { serveAccessReview } from './access-review.js';
import { APPLY_PATCH, checkPatchOptions, fieldManagerOf, serveApply } from './apply-handler.js';

const SUBRESOURCES: Record<string, (r: ResourceInfo) => boolean> = {
  status: (r) => r.status,
  scale: (r) => r.scale,
  binding: (r) => r.plural === 'pods',
  log: (r) => r.plural === 'pods',
  exec: (r) => r.plural === 'pods',
  attach: (r) => r.plural === 'pods',
  portforward: (r) => r.plural === 'pods',
  eviction: (r) => r.plural === 'pods',
  ephemeralcontainers: (r) => r.plural === 'pods',
  proxy: (r) => r.plural === 'nodes' || r.plural === 'services',
  finalize: (r) => r.plural === 'namespaces',
  token: (r) => r.plural === 'serviceaccounts' && r.group === '',
  approval: (r) => r.plural === 'certificatesigningrequests' && r.group === 'certificates.k8s.io',
};

export function filterFor(r: ResourceInfo, url: URL): ((o: KObject) => boolean) | undefined {
  const ls = parseLabelSelector(url.searchParams.get('labelSelector') ?? '');
  const fs = parseFieldSelector(url.searchParams.get('fieldSelector') ?? '');
  if (!fs.empty)
    checkFieldSelector(r.plural, fs, selectableFields(r.plural, { metadata: r.namespaced ? { namespace: '' } : {} }));
  if (ls.empty && fs.empty) return undefined;
  return (o) => ls.matches(o.metadata?.labels) && fs.matches(selectableFields(r.plural, o));
}

export function dryRunOf(url: URL): boolean {
  const d = url.searchParams.getAll('dryRun');
  for (const v of d) if (v !== 'All') throw badRequest(`dryRun: Unsupported value: "${v}": supported values: "All"`);
  return d.includes('All');
}

export async function serveResource(
  ctx: ApiContext,
  req: IncomingMessage,
  res: ServerResponse,
  verb: string,
  s: RequestScope,
): Promise<void> {
  const r = s.resource;
  const subKind = s.subresource.startsWith('proxy/') ? 'proxy' : s.subresource;
  if (s.subresource && !(SUBRESOURCES[subKind]?.(r) ?? false)) throw resourceNotFound();
  if (r.virtual) {
    if (verb !== 'create') throw methodNotAllowed();
    return serveAccessReview(ctx, req, res, s);
  }
  // /approval (CSRs) is a status-like view of the whole object: the same verbs, its own strategy.
  if (s.subresource && s.subresource !== 'status' && s.subresource !== 'approval')
    return serveSubresource(ctx, req, res, verb, s);
  const base = s.subresource ? (['get', 'update', 'patch'] as string[]) : r.verbs;
  if (!base.includes(verb)) throw methodNotAllowed();
  const form = responseForm(req.headers.accept);
  switch (verb) {
    case 'get': {
      const obj = ctx.store.get(r, s.namespace, s.name, s.url.searchParams.get('resourceVersion') ?? '');
      return sendObject(ctx, res, 200, r, obj, form, s.url);
    }
    case 'list':
      return serveList(ctx, res, s, form);
    case 'watch':
      return serveWatch(ctx, req, res, s, form);
    case 'create': {
      if (s.name) throw methodNotAllowed();
      const obj = decodeObject(await readBody(req), req.headers['content-type'], r.kind);
      const warnings = checkUnknownFields(r, obj, s.url);
      const created = await createObjectAsync(ctx, r, s.namespace, obj, s.user, {
        dryRun: dryRunOf(s.url),
        manager: fieldManagerOf(req, s.url, 'CreateOptions'),
        warnings,
      });
      return sendObject(ctx, res, 201, r, created, 'object', s.url, warnings);
    }
    case 'update': {
      const obj = decodeObject(await readBody(req), req.headers['content-type'], r.kind);
      const warnings = checkUnknownFields(r, obj, s.url);
      if (obj.metadata?.name && obj.metadata.name !== s.name)
        throw badRequest(
          `the name of the object (${obj.metadata.name}) does not match the name on the URL (${s.name})`,
        );
      const current = ctx.store.get(r, s.namespace, s.name);
      const rv = obj.metadata?.resourceVersion;
      obj.metadata = { ...(obj.metadata ?? {}), name: s.name };
      const updated = await updateObjectAsync(
        ctx,
        r,
        s.namespace,
        s.subresource,
        obj,
        current,
        s.user,
        { dryRun: dryRunOf(s.url), manager: fieldManagerOf(req, s.url, 'UpdateOptions'), warnings },
        rv,
      );
      return sendObject(ctx, res, 200, r, updated, 'object', s.url, warnings);
    }
    case 'patch': {
      const type = mediaType(req.headers['content-type']);
      if (type === APPLY_PATCH)
        return serveApply(ctx, req, res, s, dryRunOf(s.url), (code, obj, warnings) =>
          sendObject(ctx, res, code, r, obj, 'object', s.url, warnings),
        );
      if (!PATCH_TYPES.includes(type)) throw unsupportedMediaType([...PATCH_TYPES, APPLY_PATCH]);
      checkPatchOptions(s.url, false);
      const manager = fieldManagerOf(req, s.url, 'PatchOptions');
      const body = await readBody(req);
      // As GuaranteedUpdate does: a write that lost a race with another (possible while admission
      // webhooks answer) is patched again onto the newer object; a stale resourceVersion in the
      // patch itself still fails, as it did the first time.
      for (let attempt = 1; ; attempt++) {
        const current = ctx.store.get(r, s.namespace, s.name);
        const patched = applyPatch(r, current, body, req.headers['content-type']);
        const warnings = checkUnknownFields(r, patched, s.url);
        if (patched.metadata?.name !== s.name)
          throw badRequest(
            `the name of the object (${patched.metadata?.name}) does not match the name on the URL (${s.name})`,
          );
        const rv = patched.metadata?.resourceVersion;
        try {
          const updated = await updateObjectAsync(
            ctx,
            r,
            s.namespace,
            s.subresource,
            patched,
            current,
            s.user,
            { dryRun: dryRunOf(s.url), manager, warnings },
            rv,
          );
          return sendObject(ctx, res, 200, r, updated, 'object', s.url, warnings);
        } catch (err) {
          if (!(err instanceof ApiError && err.reason === 'Conflict') || attempt >= 5) throw err;
        }
      }
    }
    case 'delete': {
      const body = await readBody(req);
      const opts = parseDeleteOptions(
        body.length ? decodeJson(body, 'DeleteOptions', req.headers['content-type']) : undefined,
        s.url.searchParams,
      );
      const warnings: string[] = [];
      const out = await deleteObjectAsync(ctx, r, s.namespace, s.name, opts, s.user, warnings);
      return sendJson(
        res,
        out.code,
        out.body,
        warnings.length ? { Warning: warnings.map(warningHeader).join(', ') } : {},
      );
    }
    case 'deletecollection': {
      const body = await readBody(req);
      const opts = parseDeleteOptions(
        body.length ? decodeJson(body, 'DeleteOptions', req.headers['content-type']) : undefined,
        s.url.searchParams,
      );
      const list = ctx.store.list(r, s.namespace, { filter: filterFor(r, s.url) });
      const items: KObject[] = [];
      for (const o of list.items) {
        try {
          const out = deleteObject(ctx, r, o.metadata!.namespace ?? '', o.metadata!.name, opts, s.user);
          items.push(out.body.kind === 'Status' ? o : out.body);
        } catch (err) {
          if (!(err instanceof ApiError && err.code === 404)) throw err;
        }
      }
      return sendJson(res, 200, {
        kind: `${r.kind}List`,
        apiVersion: apiVersionOf(r),
        metadata: { resourceVersion: String(ctx.store.currentRevision()) },
        items: items.map(stripTypeMeta),
      });
    }
  }
  throw methodNotAllowed();
}

function stripTypeMeta(o: KObject): KObject {
  const { kind: _k, apiVersion: _a, ...rest } = o;
  return rest;
}

export function listOptions(url: URL): ListOptions {
  // int64 as apimachinery parses it (out of range or not a number: 400 with strconv's text); a
  // limit of 0 or below means no limit, as the storage layer reads it.
  const n = Math.max(0, queryInt64(url.searchParams, 'limit'));
  const rvm = url.searchParams.get('resourceVersionMatch') ?? '';
  if (rvm && rvm !== 'Exact' && rvm !== 'NotOlderThan')
    throw badRequest(`resourceVersionMatch: Unsupported value: "${rvm}": supported values: "Exact", "NotOlderThan"`);
  const rv = url.searchParams.get('resourceVersion') ?? '';
  if (rvm && !rv)
    throw badRequest(
      'resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided',
    );
  const cont = url.searchParams.get('continue') ?? '';
  if (cont && rv && rv !== '0') throw badRequest('specifying resource version is not allowed when using continue');
  return { limit: n, continueToken: cont || undefined, resourceVersion: rv, resourceVersionMatch: rvm };
}

function serveList(ctx: ApiContext, res: ServerResponse, s: RequestScope, form: ReturnType<typeof responseForm>): void {
  const r = s.resource;
  const opts = listOptions(s.url);
  const list = ctx.store.list(r, s.namespace, { ...opts, filter: filterFor(r, s.url) });
  const meta: KObject = { resourceVersion: list.resourceVersion };
  if (list.continueToken) meta.continue = list.continueToken;
  if (list.remainingItemCount !== undefined) meta.remainingItemCount = list.remainingItemCount;
  if (form === 'table')
    return sendJson(
      res,
      200,
      toTable(
        printerOf(r),
        list.items,
        meta,
        parseIncludeObject(s.url.searchParams.get('includeObject')),
        ctx.clock.now(),
      ),
    );
  if (form === 'metadata')
    return sendJson(res, 200, {
      kind: 'PartialObjectMetadataList',
      apiVersion: 'meta.k8s.io/v1',
      metadata: meta,
      items: list.items.map(partialObjectMetadata),
    });
  sendJson(res, 200, {
    kind: `${r.kind}List`,
    apiVersion: apiVersionOf(r),
    metadata: meta,
    items: list.items.map(stripTypeMeta),
  });
}

export function sendObject(
  ctx: ApiContext,
  res: ServerResponse,
  code: number,
  r: ResourceInfo,
  obj: KObject,
  form: ReturnType<typeof responseForm>,
  url: URL,
  warnings: string[] = [],
): void {
  const headers: Record<string, string> = {};
  if (warnings.length) headers.Warning = warnings.map(warningHeader).join(', ');
  if (form === 'table')
    return sendJson(
      res,
      code,
      toTable(
        printerOf(r),
        [obj],
        { resourceVersion: obj.metadata?.resourceVersion },
        parseIncludeObject(url.searchParams.get('includeObject')),
        ctx.clock.now(),
      ),
      headers,
    );
  if (form === 'metadata') return sendJson(res, code, partialObjectMetadata(obj), headers);
  sendJson(res, code, obj, headers);
}

export { successStatus };

export { warningHeader };
