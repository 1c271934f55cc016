// DELETE as the generic registry does it: preconditions, propagation policy recorded as finalizers
// (orphan, foregroundDeletion) for the garbage collector, finalizers that hold the object with a
// deletionTimestamp, graceful deletion of pods, namespaces that enter Terminating.
import { admit, admitRequest, type AdmissionAttributes } from '../admission/admission.js';
import type { UserInfo } from '../authn/authenticator.js';
import { rfc3339 } from '../clock.js';
import type { KObject } from '../registry/object-store.js';
import type { ResourceInfo } from '../resources.js';
import { badRequest, conflict, successStatus } from '../status.js';
import type { ApiContext } from './context.js';

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  orphanDependents?: boolean;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun: boolean;
}

export function parseDeleteOptions(body: unknown, query: URLSearchParams): DeleteOptions {
  const b = (body && typeof body === 'object' ? body : {}) as Record<string, any>;
  if (b.kind !== undefined && b.kind !== 'DeleteOptions')
    throw badRequest(`expected DeleteOptions, got ${String(b.kind)}`);
  const grace = query.get('gracePeriodSeconds') ?? b.gracePeriodSeconds;
  const policy = query.get('propagationPolicy') ?? b.propagationPolicy;
  if (policy !== undefined && policy !== null && !['Orphan', 'Background', 'Foreground'].includes(policy)) {
    throw badRequest(
      `propagationPolicy: Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan"`,
    );
  }
  const g = grace === undefined || grace === null ? undefined : Number(grace);
  if (g !== undefined && (!Number.isInteger(g) || g < 0))
    throw badRequest(`gracePeriodSeconds: Invalid value: ${grace}: must be a non-negative integer`);
  const dry = query.getAll('dryRun').concat(b.dryRun ?? []);
  return {
    gracePeriodSeconds: g,
    propagationPolicy: policy ?? undefined,
    orphanDependents: query.get('orphanDependents') === 'true' || b.orphanDependents === true ? true : undefined,
    preconditions: b.preconditions,
    dryRun: dry.includes('All'),
  };
}

/** Default propagation when none is asked for: apps/v1 and batch/v1 workloads orphan nothing. */
function finalizersFor(opts: DeleteOptions): string[] {
  if (opts.propagationPolicy === 'Orphan' || opts.orphanDependents) return ['orphan'];
  if (opts.propagationPolicy === 'Foreground') return ['foregroundDeletion'];
  return [];
}

function podGrace(pod: KObject, opts: DeleteOptions): number {
  // With no node, or in a terminal phase, there is nothing to stop: delete at once.
  if (!pod.spec?.nodeName) return 0;
  if (pod.status?.phase === 'Failed' || pod.status?.phase === 'Succeeded') return 0;
  return opts.gracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
}

export interface DeleteResult {
  code: number;
  body: KObject;
}

export function deleteObject(
  ctx: ApiContext,
  r: ResourceInfo,
  namespace: string,
  name: string,
  opts: DeleteOptions,
  user: UserInfo,
): DeleteResult {
  const { current, attrs } = prepareDelete(ctx, r, namespace, name, opts, user);
  admit(ctx.admission, attrs);
  return finishDelete(ctx, r, namespace, name, opts, current);
}

/** deleteObject for the DELETE verb: admission webhooks are called when one concerns the request. */
export async function deleteObjectAsync(
  ctx: ApiContext,
  r: ResourceInfo,
  namespace: string,
  name: string,
  opts: DeleteOptions,
  user: UserInfo,
  warnings: string[],
): Promise<DeleteResult> {
  const { current, attrs } = prepareDelete(ctx, r, namespace, name, opts, user);
  attrs.warnings = warnings;
  const pending = admitRequest(ctx.admission, attrs);
  if (pending) {
    await pending;
    // The object may have changed (or been replaced) while the webhooks answered: the delete goes
    // on with the live one, so the preconditions must hold against it too, as in the sync path.
    const live = ctx.store.get(r, namespace, name);
    if (live.metadata?.resourceVersion !== current.metadata?.resourceVersion) {
      checkPreconditions(r, name, opts.preconditions, live.metadata!);
      return finishDelete(ctx, r, namespace, name, opts, live);
    }
  }
  return finishDelete(ctx, r, namespace, name, opts, current);
}

/** DeleteOptions.preconditions against the object's metadata: a 409 worded as kube-apiserver words it. */
function checkPreconditions(
  r: ResourceInfo,
  name: string,
  pre: DeleteOptions['preconditions'],
  md: NonNullable<KObject['metadata']>,
): void {
  const failed = (field: string, want: string, got: unknown) =>
    conflict(
      r.plural,
      r.group,
      name,
      `Precondition failed: ${field} in precondition: ${want}, ${field} in object meta: ${got}`,
    );
  if (pre?.uid && pre.uid !== md.uid) throw failed('UID', pre.uid, md.uid);
  if (pre?.resourceVersion && pre.resourceVersion !== md.resourceVersion)
    throw failed('ResourceVersion', pre.resourceVersion, md.resourceVersion);
}

function prepareDelete(
  ctx: ApiContext,
  r: ResourceInfo,
  namespace: string,
  name: string,
  opts: DeleteOptions,
  user: UserInfo,
): { current: KObject; attrs: AdmissionAttributes } {
  const current = ctx.store.get(r, namespace, name);
  checkPreconditions(r, name, opts.preconditions, current.metadata!);
  const options: KObject = {};
  if (opts.gracePeriodSeconds !== undefined) options.gracePeriodSeconds = opts.gracePeriodSeconds;
  if (opts.propagationPolicy) options.propagationPolicy = opts.propagationPolicy;
  if (opts.preconditions) options.preconditions = opts.preconditions;
  const attrs: AdmissionAttributes = {
    operation: 'DELETE',
    resource: r,
    subresource: '',
    namespace,
    name,
    oldObject: current,
    user,
    dryRun: opts.dryRun,
    options,
  };
  return { current, attrs };
}

function finishDelete(
  ctx: ApiContext,
  r: ResourceInfo,
  namespace: string,
  name: string,
  opts: DeleteOptions,
  current: KObject,
): DeleteResult {
  const md = current.metadata!;
  const grace = r.plural === 'pods' ? podGrace(current, opts) : 0;
  const extra = finalizersFor(opts);
  const finalizers: string[] = [...new Set([...(md.finalizers ?? []), ...extra])];
  const nsFinalizers: string[] = r.plural === 'namespaces' ? (current.spec?.finalizers ?? []) : [];
  const pending = finalizers.length > 0 || nsFinalizers.length > 0 || grace > 0;

  const removeNow = (): KObject => {
    const gone = ctx.store.delete(r, namespace, name, Number(md.resourceVersion));
    ctx.observeWrite(r, gone, true);
    return gone;
  };
  if (!pending) {
    // A pod comes back as the object; anything else as a Status naming what went.
    const body = (gone: KObject) =>
      r.plural === 'pods' ? gone : successStatus({ name, group: r.group || undefined, kind: r.plural, uid: md.uid });
    return { code: 200, body: body(opts.dryRun ? current : removeNow()) };
  }

  // Graceful: mark, keep. A second delete may only shorten the grace period.
  const now = ctx.clock.now();
  const next = structuredClone(current);
  const nm = next.metadata!;
  if (
    md.deletionTimestamp &&
    (md.deletionGracePeriodSeconds ?? 0) <= grace &&
    extra.every((f) => (md.finalizers ?? []).includes(f))
  ) {
    return { code: 200, body: current };
  }
  nm.deletionTimestamp = rfc3339(now + grace * 1000);
  nm.deletionGracePeriodSeconds = grace;
  if (finalizers.length) nm.finalizers = finalizers;
  if (r.plural === 'namespaces') next.status = { ...(next.status ?? {}), phase: 'Terminating' };
  if (r.plural === 'pods' && grace === 0 && !finalizers.length) return { code: 200, body: removeNow() };
  if (opts.dryRun) return { code: 200, body: next };
  const stored = ctx.store.update(r, namespace, next, Number(md.resourceVersion));
  ctx.observeWrite(r, stored, false);
  return { code: opts.propagationPolicy === 'Foreground' ? 202 : 200, body: stored };
}
