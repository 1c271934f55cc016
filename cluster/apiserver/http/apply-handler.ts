// PATCH with application/apply-patch+yaml (server-side apply): the body is the manager's whole
// intent (YAML or JSON) for the object; the field manager merges it, and the result is created
// (201, when absent) or updated through the usual strategy/admission/store path. Also the
// PatchOptions checks kube-apiserver makes (fieldManager required for apply, force only there).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseYaml } from '../../../common/yaml-depth.js';
import type { KObject } from '../registry/object-store.js';
import { apiVersionOf } from '../resources.js';
import { ApiError, badRequest } from '../status.js';
import { MAX_JSON_DEPTH, readBody, valueDepth } from './body.js';
import type { ApiContext, RequestScope } from './context.js';
import { checkUnknownFields } from './field-validation.js';
import { createObjectAsync, updateObjectAsync } from './object-writes.js';
import { queryOptionalBool } from './query-params.js';

export const APPLY_PATCH = 'application/apply-patch+yaml';

function invalidOptions(kind: string, field: string, detail: string): ApiError {
  return new ApiError(422, 'Invalid', `${kind}.meta.k8s.io "" is invalid: ${field}: ${detail}`, {
    group: 'meta.k8s.io',
    kind,
    causes: [
      {
        reason: detail.startsWith('Required')
          ? 'FieldValueRequired'
          : detail.startsWith('Forbidden')
            ? 'FieldValueForbidden'
            : 'FieldValueInvalid',
        message: detail,
        field,
      },
    ],
  });
}

/** The manager a write is recorded under: ?fieldManager=, else the User-Agent up to its first "/". */
export function fieldManagerOf(req: IncomingMessage, url: URL, optionsKind: string): string {
  const m = url.searchParams.get('fieldManager') ?? '';
  if (m.length > 128) throw invalidOptions(optionsKind, 'fieldManager', 'Too long: may not be more than 128 bytes');
  if (/[^\P{C}]/u.test(m))
    throw invalidOptions(
      optionsKind,
      'fieldManager',
      `Invalid value: ${JSON.stringify(m)}: must only contain printable characters`,
    );
  if (m) return m;
  return [...(req.headers['user-agent'] ?? '').split('/')[0]!]
    .filter((c) => !/\p{C}/u.test(c))
    .join('')
    .slice(0, 128);
}

/** kube's ValidatePatchOptions. */
export function checkPatchOptions(url: URL, isApply: boolean): { force: boolean } {
  const force = queryOptionalBool(url.searchParams, 'force');
  if (!isApply && force !== undefined)
    throw invalidOptions('PatchOptions', 'force', 'Forbidden: may not be specified for non-apply patch');
  if (isApply && !url.searchParams.get('fieldManager'))
    throw invalidOptions('PatchOptions', 'fieldManager', 'Required value: is required for apply patch');
  return { force: force ?? false };
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function decodeApply(body: Buffer): KObject {
  if (body.length === 0) throw badRequest('the body of the request was empty');
  let v: unknown;
  const text = body.toString('utf8');
  try {
    // JSON is YAML; clients (client-go, client-node) send JSON, which JSON.parse reads ~20× faster.
    v = /^\s*\{/.test(text) ? tryJson(text) : undefined;
    // Depth-checked before yaml's recursive composer (common/yaml-depth.ts).
    if (v === undefined) v = parseYaml(text, { version: '1.1', merge: false });
  } catch (err) {
    throw badRequest(`error decoding YAML: ${err instanceof Error ? err.message : String(err)}`);
  }
  // An alias may make the document circular (`x: &a [*a]`): a depth check ends that walk too.
  if (valueDepth(v) > MAX_JSON_DEPTH) throw badRequest('error decoding YAML: exceeded max depth');
  if (!v || typeof v !== 'object' || Array.isArray(v))
    throw badRequest('error decoding YAML: the applied configuration must be an object');
  return v as KObject;
}

export async function serveApply(
  ctx: ApiContext,
  req: IncomingMessage,
  res: ServerResponse,
  s: RequestScope,
  dryRun: boolean,
  send: (code: number, obj: KObject, warnings: string[]) => void,
): Promise<void> {
  const r = s.resource;
  const { force } = checkPatchOptions(s.url, true);
  const manager = fieldManagerOf(req, s.url, 'PatchOptions');
  const config = decodeApply(await readBody(req));
  if (!config.apiVersion || !config.kind) throw badRequest(`Object 'Kind' is missing in '${JSON.stringify(config)}'`);
  const kind = s.subresource === 'scale' ? 'Scale' : r.kind;
  if (config.apiVersion !== apiVersionOf(r) || config.kind !== kind) {
    throw badRequest(
      `the API version in the data (${config.apiVersion}) does not match the expected API version (${apiVersionOf(r)})`,
    );
  }
  const md = config.metadata;
  if (md !== undefined && (md === null || typeof md !== 'object' || Array.isArray(md)))
    throw badRequest('metadata must be an object');
  if (md?.name !== undefined && md.name !== s.name)
    throw badRequest(`the name of the object (${md.name}) does not match the name on the URL (${s.name})`);
  if (r.namespaced && md?.namespace && md.namespace !== s.namespace)
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  const warnings = checkUnknownFields(r, config, s.url);
  let current: KObject | undefined;
  try {
    current = ctx.store.get(r, s.namespace, s.name);
  } catch (err) {
    if (!(err instanceof ApiError && err.code === 404) || s.subresource) throw err;
  }
  const merged = ctx.fieldManager.apply(r, current, config, manager, force, s.subresource);
  const opts = { dryRun, manager, managedFields: (merged.metadata?.managedFields ?? []) as unknown[], warnings };
  if (!current) {
    merged.metadata = { ...(merged.metadata ?? {}), name: s.name };
    return send(201, await createObjectAsync(ctx, r, s.namespace, merged, s.user, opts), warnings);
  }
  const rv = md?.resourceVersion;
  const updated = await updateObjectAsync(ctx, r, s.namespace, s.subresource, merged, current, s.user, opts, rv);
  send(200, updated, warnings);
}
