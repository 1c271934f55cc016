// MutatingAdmissionWebhook and ValidatingAdmissionWebhook: for a request the chain lets through,
// each configured webhook whose rules, selectors and match policy concern it gets an AdmissionReview
// (admission.k8s.io/v1) and answers allowed or not, with warnings and, from mutating ones, a
// JSONPatch. Mutating webhooks run one after another (later ones see earlier patches), and once
// more (with the built-in mutating plugins) when one changed the object and an earlier IfNeeded one
// should see it; validating webhooks run in parallel. failurePolicy decides what an unreachable or
// broken webhook means; the errors are worded as k8s.io/apiserver's dispatchers word them.
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { applyJsonPatch, PatchError } from '../../patch/json-patch.js';
import type { KObject, ObjectStore } from '../../registry/object-store.js';
import { conversionFor } from '../../registry/version-conversion.js';
import { apiVersionOf, type ResourceCatalog, type ResourceInfo } from '../../resources.js';
import { ApiError, badRequest, notFound, qualified } from '../../status.js';
import type { AdmissionAttributes, DynamicAdmission } from '../admission.js';
import type { AdmissionConfigurations, Webhook } from './configurations.js';
import { isExemptConfiguration, matchRules, namespaceSelectorMatches, objectSelectorMatches } from './matching.js';
import { celRequest, compileExpression, evaluate, toCel } from './validating-policy.js';
import { resolveEndpoint, WebhookCallError, WebhookClient, type Dialer } from './webhook-client.js';

/** A webhook that could not be called or gave an unusable answer (failurePolicy applies). */
class CallingWebhookError extends Error {
  constructor(
    readonly webhook: string,
    reason: string,
  ) {
    super(`failed calling webhook "${webhook}": ${reason}`);
  }
}

/** metav1.Status of a refusal, as webhook/errors.ToStatusErr builds it. */
export function deniedStatus(webhook: string, result: KObject | undefined): ApiError {
  const r = result && typeof result === 'object' ? result : {};
  const by = `admission webhook "${webhook}" denied the request`;
  const message = r.message ? `${by}: ${r.message}` : r.reason ? `${by}: ${r.reason}` : `${by} without explanation`;
  const code = Number.isInteger(r.code) && r.code >= 400 ? r.code : 400;
  return new ApiError(code, typeof r.reason === 'string' ? r.reason : '', message, r.details);
}

function internal(err: Error): ApiError {
  return new ApiError(500, 'InternalError', `Internal error occurred: ${err.message}`, {
    causes: [{ message: err.message } as never],
  });
}

interface Invocation {
  hook: Webhook;
  /** The resource the matching rule named (the request's, or an equivalent version). */
  resource: ResourceInfo;
}

/** Converts between served versions of one kind (only HorizontalPodAutoscaler has two here). */
function convert(obj: KObject | undefined, from: ResourceInfo, to: ResourceInfo): KObject | undefined {
  if (!obj || from === to) return obj;
  const stored = conversionFor(from)?.toStorage(structuredClone(obj)) ?? structuredClone(obj);
  const served = conversionFor(to)?.fromStorage(stored) ?? stored;
  return { ...served, apiVersion: apiVersionOf(to), kind: to.kind };
}

const typed = (obj: KObject | undefined, r: ResourceInfo): KObject | null =>
  obj ? { ...obj, apiVersion: apiVersionOf(r), kind: r.kind } : null;

function operationOptions(a: AdmissionAttributes): KObject | null {
  const kind = { CREATE: 'CreateOptions', UPDATE: 'UpdateOptions', DELETE: 'DeleteOptions', CONNECT: '' }[a.operation];
  if (!kind) return null;
  return { kind, apiVersion: 'meta.k8s.io/v1', ...(a.dryRun ? { dryRun: ['All'] } : {}), ...(a.options ?? {}) };
}

/** The AdmissionReview request (admission.k8s.io/v1) for one invocation. */
export function admissionReview(uid: string, a: AdmissionAttributes, inv: Invocation): KObject {
  const r = inv.resource;
  const user: KObject = { username: a.user.name };
  if (a.user.uid) user.uid = a.user.uid;
  if (a.user.groups.length) user.groups = a.user.groups;
  if (a.user.extra && Object.keys(a.user.extra).length) user.extra = a.user.extra;
  const req: KObject = {
    uid,
    kind: { group: r.group, version: r.version, kind: r.kind },
    resource: { group: r.group, version: r.version, resource: r.plural },
  };
  if (a.subresource) req.subResource = a.subresource;
  req.requestKind = { group: a.resource.group, version: a.resource.version, kind: a.resource.kind };
  req.requestResource = { group: a.resource.group, version: a.resource.version, resource: a.resource.plural };
  if (a.subresource) req.requestSubResource = a.subresource;
  if (a.name) req.name = a.name;
  if (a.namespace) req.namespace = a.namespace;
  Object.assign(req, {
    operation: a.operation,
    userInfo: user,
    object: typed(convert(a.object, a.resource, r), r),
    oldObject: typed(convert(a.oldObject, a.resource, r), r),
    dryRun: !!a.dryRun,
    options: operationOptions(a),
  });
  return { kind: 'AdmissionReview', apiVersion: 'admission.k8s.io/v1', request: req };
}

interface VerifiedResponse {
  allowed: boolean;
  patch?: unknown[];
  result?: KObject;
  warnings: string[];
}

/** webhook/request.VerifyAdmissionResponse for admission.k8s.io/v1 answers. */
export function verifyResponse(uid: string, mutating: boolean, review: KObject): VerifiedResponse {
  const resp = review.response;
  if (!resp || typeof resp !== 'object') throw new Error('webhook response was absent');
  if (resp.uid !== uid) throw new Error(`expected response.uid="${uid}", got "${String(resp.uid ?? '')}"`);
  const gv = String(review.apiVersion ?? '');
  const slash = gv.lastIndexOf('/');
  const gvk = `${slash < 0 ? '' : gv.slice(0, slash)}/${slash < 0 ? gv : gv.slice(slash + 1)}, Kind=${String(review.kind ?? '')}`;
  if (review.apiVersion !== 'admission.k8s.io/v1' || review.kind !== 'AdmissionReview')
    throw new Error(`expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got ${gvk}`);
  const warnings = Array.isArray(resp.warnings) ? resp.warnings.map(String) : [];
  const hasPatch = typeof resp.patch === 'string' && resp.patch.length > 0;
  const hasType = resp.patchType !== undefined && resp.patchType !== null;
  if (!mutating) {
    if (hasPatch) throw new Error('validating webhook may not return response.patch');
    if (hasType) throw new Error('validating webhook may not return response.patchType');
    return { allowed: resp.allowed === true, result: resp.status, warnings };
  }
  if (hasPatch && !hasType) throw new Error('webhook returned response.patch but not response.patchType');
  if (!hasPatch && hasType) throw new Error('webhook returned response.patchType but not response.patch');
  if (hasType && !resp.patchType) throw new Error(`webhook returned invalid response.patchType of ""`);
  let patch: unknown[] | undefined;
  if (hasPatch) {
    if (resp.patchType !== 'JSONPatch') throw new Error(`unsupported patch type "${String(resp.patchType)}"`);
    try {
      const decoded = JSON.parse(Buffer.from(resp.patch, 'base64').toString('utf8'));
      if (!Array.isArray(decoded)) throw new Error('a JSON patch is an array of operations');
      patch = decoded;
    } catch (err) {
      throw new Error(
        `received undecodable patch in webhook response: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }
  return { allowed: resp.allowed === true, patch, result: resp.status, warnings };
}

/** What reinvocation keeps across the two rounds of one request (mutating/reinvocation.go). */
interface ReinvokeState {
  lastOutput?: KObject;
  previouslyInvoked: Set<string>;
  reinvoke: Set<string>;
}

export class WebhookAdmission implements DynamicAdmission {
  private readonly client: WebhookClient;
  private prunedAt = -1;

  constructor(
    private readonly configs: AdmissionConfigurations,
    private readonly deps: {
      store: ObjectStore;
      catalog: ResourceCatalog;
      namespace: (name: string) => KObject | undefined;
      dialer: () => Dialer | undefined;
    },
  ) {
    this.client = new WebhookClient(deps.dialer);
  }

  get active(): boolean {
    return this.configs.webhookCount > 0;
  }

  private invocation(h: Webhook, a: AdmissionAttributes): Invocation | undefined {
    const s = h.spec;
    const nsMatch = namespaceSelectorMatches(s.namespaceSelector ?? {}, a, this.deps.namespace);
    if (nsMatch === false) return undefined;
    if (!objectSelectorMatches(s.objectSelector ?? {}, a)) return undefined;
    const r = matchRules(s.rules ?? [], s.matchPolicy ?? 'Equivalent', a, this.deps.catalog);
    if (!r) return undefined;
    if (nsMatch === 'missing') throw notFound('namespaces', '', a.namespace);
    const conditions = (s.matchConditions ?? []) as KObject[];
    if (conditions.length && !this.conditionsHold(h, a, r, conditions)) return undefined;
    return { hook: h, resource: r };
  }

  /**
   * matchConditions (CEL over object, oldObject, request): any false skips the webhook; otherwise an
   * evaluation error refuses the request (failurePolicy Fail) or skips the webhook (Ignore).
   */
  private conditionsHold(h: Webhook, a: AdmissionAttributes, r: ResourceInfo, conditions: KObject[]): boolean {
    const vars = {
      object: toCel(typed(convert(a.object, a.resource, r), r)),
      oldObject: toCel(typed(convert(a.oldObject, a.resource, r), r)),
      request: toCel(celRequest(a, r)),
    };
    const errors: string[] = [];
    for (const c of conditions) {
      const out = evaluate(compileExpression(String(c.expression ?? '')), vars);
      if ('error' in out) errors.push(`failed to evaluate matchCondition '${String(c.name)}': ${out.error}`);
      else if (out.value !== true) return false;
    }
    if (!errors.length) return true;
    if (h.spec.failurePolicy === 'Ignore') return false;
    const name = a.name || a.object?.metadata?.name || '';
    const res = qualified(a.resource.plural, a.resource.group);
    throw new ApiError(403, 'Forbidden', `${res} "${name}" is forbidden: ${errors.join(', ')}`, {
      name: name || undefined,
      group: a.resource.group || undefined,
      kind: a.resource.plural,
    });
  }

  /** Any webhook concerned at all? (Cheap: callers skip the asynchronous path without one.) */
  concerns(a: AdmissionAttributes): boolean {
    if (!this.active || isExemptConfiguration(a)) return false;
    for (const h of [...this.configs.mutatingWebhooks, ...this.configs.validatingWebhooks])
      if (this.invocation(h, a)) return true;
    return false;
  }

  private prune(): void {
    if (this.prunedAt === this.configs.generation) return;
    this.prunedAt = this.configs.generation;
    const live = new Set<string>();
    for (const h of [...this.configs.mutatingWebhooks, ...this.configs.validatingWebhooks])
      live.add(`${h.uid}/${JSON.stringify(h.spec.clientConfig ?? {})}`);
    this.client.prune(live);
  }

  /** Calls one webhook; returns its verified answer or throws CallingWebhookError / ApiError. */
  private async call(inv: Invocation, a: AdmissionAttributes): Promise<VerifiedResponse> {
    const s = inv.hook.spec;
    const name = String(s.name);
    if (a.dryRun && s.sideEffects !== 'None' && s.sideEffects !== 'NoneOnDryRun')
      throw badRequest(`admission webhook "${name}" does not support dry run`);
    const versions: string[] = s.admissionReviewVersions ?? [];
    if (!versions.includes('v1'))
      throw new CallingWebhookError(
        name,
        versions.includes('v1beta1')
          ? 'could not create admission objects: webhook accepts only admission.k8s.io/v1beta1, which this apiserver does not send'
          : 'could not create admission objects: webhook does not accept known AdmissionReview versions (v1, v1beta1)',
      );
    const uid = randomUUID();
    const timeout = Number(s.timeoutSeconds ?? 10);
    const body = JSON.stringify(admissionReview(uid, a, inv));
    let answer: KObject;
    try {
      const ep = resolveEndpoint(s.clientConfig ?? {}, timeout, { ...this.deps, viaLab: !!this.deps.dialer() });
      answer = await this.client.post(
        `${inv.hook.uid}/${JSON.stringify(s.clientConfig ?? {})}`,
        ep,
        body,
        timeout * 1000,
      );
    } catch (err) {
      if (err instanceof WebhookCallError)
        throw new CallingWebhookError(name, `failed to call webhook: ${err.message}`);
      throw err;
    }
    try {
      return verifyResponse(uid, inv.hook.mutating, answer);
    } catch (err) {
      throw new CallingWebhookError(
        name,
        `received invalid webhook response: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }

  /**
   * The mutating webhooks, in order. Returns whether the built-in mutating plugins and the
   * IfNeeded webhooks must run again (a webhook changed the object).
   */
  async mutate(a: AdmissionAttributes, state: { reinvocation?: ReinvokeState }, round: 0 | 1): Promise<boolean> {
    this.prune();
    const st = (state.reinvocation ??= { previouslyInvoked: new Set(), reinvoke: new Set() });
    const requireReinvoke = () => {
      for (const u of st.previouslyInvoked) st.reinvoke.add(u);
      st.previouslyInvoked.clear();
    };
    if (round === 1 && !isDeepStrictEqual(st.lastOutput, a.object)) requireReinvoke();
    let shouldReinvoke = false;
    try {
      for (const h of this.configs.mutatingWebhooks) {
        const inv = this.invocation(h, a);
        if (!inv) continue;
        if (round === 1 && !st.reinvoke.has(h.uid)) continue;
        const ignore = h.spec.failurePolicy === 'Ignore';
        let changed = false;
        try {
          const res = await this.call(inv, a);
          a.warnings?.push(...res.warnings);
          if (!res.allowed) throw deniedStatus(String(h.spec.name), res.result);
          if (res.patch?.length) changed = this.applyPatch(a, inv, res.patch, String(h.spec.name));
        } catch (err) {
          if (err instanceof CallingWebhookError) {
            if (!ignore) throw internal(err);
          } else throw err;
        } finally {
          if (changed) {
            requireReinvoke();
            shouldReinvoke = true;
          }
          if (h.spec.reinvocationPolicy === 'IfNeeded') st.previouslyInvoked.add(h.uid);
        }
      }
    } finally {
      st.lastOutput = a.object ? structuredClone(a.object) : undefined;
    }
    return round === 0 && shouldReinvoke;
  }

  /** Applies a webhook's JSONPatch to the object in place; true when it changed something. */
  private applyPatch(a: AdmissionAttributes, inv: Invocation, patch: unknown[], name: string): boolean {
    if (!a.object)
      throw internal(
        new Error(
          `admission webhook "${name}" attempted to modify the object, which is not supported for this operation`,
        ),
      );
    const before = typed(convert(a.object, a.resource, inv.resource), inv.resource)!;
    let patched: KObject;
    try {
      patched = applyJsonPatch(before, patch) as KObject;
    } catch (err) {
      if (err instanceof PatchError) throw internal(err);
      throw err;
    }
    if (!patched || typeof patched !== 'object' || Array.isArray(patched))
      throw internal(new Error('the patched object is not an object'));
    const back = convert(patched, inv.resource, a.resource)!;
    back.apiVersion = apiVersionOf(a.resource);
    back.kind = a.resource.kind;
    if (isDeepStrictEqual(typed(a.object, a.resource), back)) return false;
    for (const k of Object.keys(a.object)) delete a.object[k];
    Object.assign(a.object, back);
    return true;
  }

  /** The validating webhooks, all at once; the first refusal (in webhook order) is the answer. */
  async validate(a: AdmissionAttributes): Promise<void> {
    this.prune();
    const invs: Invocation[] = [];
    for (const h of this.configs.validatingWebhooks) {
      const inv = this.invocation(h, a);
      if (inv) invs.push(inv);
    }
    if (!invs.length) return;
    const outcomes = await Promise.all(
      invs.map(async (inv): Promise<ApiError | undefined> => {
        try {
          const res = await this.call(inv, a);
          a.warnings?.push(...res.warnings);
          return res.allowed ? undefined : deniedStatus(String(inv.hook.spec.name), res.result);
        } catch (err) {
          if (err instanceof CallingWebhookError)
            return inv.hook.spec.failurePolicy === 'Ignore' ? undefined : internal(err);
          if (err instanceof ApiError) return err;
          return internal(err instanceof Error ? err : new Error(String(err)));
        }
      }),
    );
    const first = outcomes.find((o) => o);
    if (first) throw first;
  }
}
