// The write path shared by create, update, patch and the subresources: server-owned fields,
// admission (mutating, then validating), then the store; and the finish of a deletion once the
// last finalizer is gone.
import { isDeepStrictEqual } from 'node:util';
import { admit, admitRequest, type AdmissionAttributes } from '../admission/admission.js';
import { applyDefaults } from '../admission/defaults.js';
import type { UserInfo } from '../authn/authenticator.js';
import type { KObject } from '../registry/object-store.js';
import { apiVersionOf, type ResourceInfo } from '../resources.js';
import { badRequest, conflict, STALE } from '../status.js';
import type { ApiContext } from './context.js';

export interface WriteOptions {
  dryRun: boolean;
  /** Field manager of the write (?fieldManager= or the User-Agent's first word); kube-apiserver's own writes when unset. */
  manager?: string;
  /** Subresource the managedFields entry names (scale writes go through the main object). */
  fieldSubresource?: string;
  /** managedFields already computed (server-side apply); skips the Update bookkeeping. */
  managedFields?: unknown[];
  /** Collects admission warnings (webhooks, policies) for the response's Warning headers. */
  warnings?: string[];
}

/**
 * Records the write in metadata.managedFields. Runs on the object as decoded and defaulted, before
 * the strategy and admission add what the server owns — as kube's field manager runs in the
 * handler, after the codec's defaulting and before the registry.
 */
function trackFields(
  ctx: ApiContext,
  r: ResourceInfo,
  live: KObject | undefined,
  next: KObject,
  subresource: string,
  opts: WriteOptions,
): unknown[] | undefined {
  if (opts.managedFields) return opts.managedFields;
  if (!subresource && !r.custom) applyDefaults(r.plural, next);
  return ctx.fieldManager.update(
    r,
    live,
    next,
    opts.manager ?? 'kube-apiserver',
    opts.fieldSubresource ?? subresource,
    next.metadata?.managedFields,
  );
}

function setManagedFields(obj: KObject, managed: unknown[] | undefined): void {
  if (managed && managed.length) obj.metadata = { ...(obj.metadata ?? {}), managedFields: managed };
  else if (obj.metadata) delete obj.metadata.managedFields;
}

/** Checks apiVersion/kind of a body against the URL's resource (400 when they disagree). */
export function checkTypeMeta(
  r: ResourceInfo,
  obj: KObject,
  expectedKind = r.kind,
  expectedApiVersion = apiVersionOf(r),
): void {
  if (obj.apiVersion !== undefined && obj.apiVersion !== expectedApiVersion) {
    throw badRequest(
      `the API version in the data (${obj.apiVersion}) does not match the expected API version (${expectedApiVersion})`,
    );
  }
  if (obj.kind !== undefined && obj.kind !== expectedKind) {
    throw badRequest(`the kind in the data (${obj.kind}) does not match the expected kind (${expectedKind})`);
  }
  if (
    obj.metadata !== undefined &&
    (obj.metadata === null || typeof obj.metadata !== 'object' || Array.isArray(obj.metadata))
  ) {
    throw badRequest(
      `${expectedKind} in version "${expectedApiVersion.split('/').pop()}" cannot be handled as a ${expectedKind}: metadata must be an object`,
    );
  }
}

export function checkNamespace(r: ResourceInfo, obj: KObject, namespace: string): void {
  const ns = obj.metadata?.namespace;
  if (r.namespaced && ns && ns !== namespace)
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
}

export function createObject(
  ctx: ApiContext,
  r: ResourceInfo,
  namespace: string,
  obj: KObject,
  user: UserInfo,
  opts: WriteOptions,
): KObject {
  admit(ctx.admission, prepareCreate(ctx, r, namespace, obj, user, opts));
  if (opts.dryRun) return obj;
  const stored = ctx.store.create(r, namespace, obj);
  ctx.observeWrite(r, stored, false);
  return stored;
}

/**
 * createObject for request handlers: admission webhooks are called when one concerns the request,
 * and the write shares a commit with others of the same moment.
 */
export async function createObjectAsync(
  ctx: ApiContext,
  r: ResourceInfo,
  namespace: string,
  obj: KObject,
  user: UserInfo,
  opts: WriteOptions,
): Promise<KObject> {
  const pending = admitRequest(ctx.admission, prepareCreate(ctx, r, namespace, obj, user, opts));
  if (pending) await pending;
  if (opts.dryRun) return obj;
  const stored = await ctx.store.createAsync(r, namespace, obj);
  ctx.observeWrite(r, stored, false);
  return stored;
}

function prepareCreate(
  ctx: ApiContext,
  r: ResourceInfo,
  namespace: string,
  obj: KObject,
  user: UserInfo,
  opts: WriteOptions,
): AdmissionAttributes {
  checkTypeMeta(r, obj);
  checkNamespace(r, obj, namespace);
  const managed = trackFields(ctx, r, undefined, obj, '', opts);
  ctx.strategy.prepareForCreate(r, obj, namespace);
  setManagedFields(obj, managed);
  return {
    operation: 'CREATE',
    resource: r,
    subresource: '',
    namespace,
    name: obj.metadata?.name ?? '',
    object: obj,
    user,
    dryRun: opts.dryRun,
    options: opts.manager ? { fieldManager: opts.manager } : undefined,
    warnings: opts.warnings,
  };
}

/** Server-owned fields equal: nothing to write (no new revision, no watch event), as kube does. */
function unchanged(a: KObject, b: KObject): boolean {
  const strip = (o: KObject) => ({ ...o, metadata: { ...o.metadata, resourceVersion: undefined } });
  return isDeepStrictEqual(strip(a), strip(b));
}

/**
 * Stores `next` in place of `current` (main resource or a subresource view already merged into a
 * full object). `preconditionRv` is the resourceVersion the client sent, if any.
 */
export function updateObject(
  ctx: ApiContext,
  r: ResourceInfo,
  namespace: string,
  subresource: string,
  next: KObject,
  current: KObject,
  user: UserInfo,
  opts: WriteOptions,
  preconditionRv?: string,
): KObject {
  const a = prepareUpdate(ctx, r, namespace, subresource, next, current, user, opts, preconditionRv);
  admit(ctx.admission, a);
  return finishUpdate(ctx, r, namespace, a.object!, current, opts);
}

/** updateObject for request handlers: admission webhooks are called when one concerns the request. */
export async function updateObjectAsync(
  ctx: ApiContext,
  r: ResourceInfo,
  namespace: string,
  subresource: string,
  next: KObject,
  current: KObject,
  user: UserInfo,
  opts: WriteOptions,
  preconditionRv?: string,
): Promise<KObject> {
  const a = prepareUpdate(ctx, r, namespace, subresource, next, current, user, opts, preconditionRv);
  const pending = admitRequest(ctx.admission, a);
  if (pending) await pending;
  return finishUpdate(ctx, r, namespace, a.object!, current, opts);
}

function prepareUpdate(
  ctx: ApiContext,
  r: ResourceInfo,
  namespace: string,
  subresource: string,
  next: KObject,
  current: KObject,
  user: UserInfo,
  opts: WriteOptions,
  preconditionRv?: string,
): AdmissionAttributes {
  const name = current.metadata!.name as string;
  if (preconditionRv && preconditionRv !== current.metadata!.resourceVersion)
    throw conflict(r.plural, r.group, name, STALE);
  const managed = trackFields(
    ctx,
    r,
    current,
    statusLike(subresource) ? ctx.strategy.prepareForStatusUpdate(r, next, current) : next,
    subresource,
    opts,
  );
  if (statusLike(subresource)) next = ctx.strategy.prepareForStatusUpdate(r, next, current);
  else ctx.strategy.prepareForUpdate(r, next, current);
  setManagedFields(next, managed);
  next.metadata!.resourceVersion = current.metadata!.resourceVersion;
  return {
    operation: 'UPDATE',
    resource: r,
    subresource,
    namespace,
    name,
    object: next,
    oldObject: current,
    user,
    dryRun: opts.dryRun,
    options: opts.manager ? { fieldManager: opts.manager } : undefined,
    warnings: opts.warnings,
  };
}

function finishUpdate(
  ctx: ApiContext,
  r: ResourceInfo,
  namespace: string,
  next: KObject,
  current: KObject,
  opts: WriteOptions,
): KObject {
  const name = current.metadata!.name as string;
  if (unchanged(next, current)) return current;
  if (opts.dryRun) return next;
  if (deletionFinished(r, next)) {
    const gone = ctx.store.delete(r, namespace, name, Number(current.metadata!.resourceVersion));
    ctx.observeWrite(r, gone, true);
    return { ...next, metadata: { ...next.metadata, resourceVersion: gone.metadata!.resourceVersion } };
  }
  const stored = ctx.store.update(r, namespace, next, Number(current.metadata!.resourceVersion));
  ctx.observeWrite(r, stored, false);
  return stored;
}

/** Subresources that write the status of the whole object (a CSR's /approval is one). */
function statusLike(subresource: string): boolean {
  return subresource === 'status' || subresource === 'approval';
}

/** An object marked for deletion whose finalizers are all gone (and, for pods, whose grace is over). */
export function deletionFinished(r: ResourceInfo, obj: KObject): boolean {
  const md = obj.metadata ?? {};
  if (!md.deletionTimestamp) return false;
  if ((md.finalizers ?? []).length) return false;
  if (r.plural === 'namespaces' && (obj.spec?.finalizers ?? []).length) return false;
  return !md.deletionGracePeriodSeconds;
}
