// PATCH bodies by media type: JSON patch, merge patch, strategic merge patch. Server-side apply
// (application/apply-patch+yaml) is apply-handler.ts's.
import { applyJsonPatch, PatchError } from '../patch/json-patch.js';
import { applyMergePatch } from '../patch/merge-patch.js';
import { patchMetaFor } from '../patch/patch-meta.js';
import { applyStrategicMergePatch } from '../patch/strategic-merge-patch.js';
import type { KObject } from '../registry/object-store.js';
import type { ResourceInfo } from '../resources.js';
import { ApiError, badRequest, unsupportedMediaType } from '../status.js';
import { decodeJson, mediaType } from './body.js';

export const PATCH_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
];

/** The patched object (a new copy); `current` is not changed. `metaPlural` picks the SMP merge keys. */
export function applyPatch(
  r: ResourceInfo,
  current: KObject,
  body: Buffer,
  contentType: string | undefined,
  metaPlural = r.plural,
): KObject {
  const type = mediaType(contentType);
  if (!PATCH_TYPES.includes(type)) throw unsupportedMediaType(PATCH_TYPES);
  if (body.length === 0) throw badRequest('the body of the request was empty');
  const patch = decodeJson(body, 'error decoding patch');
  let out: unknown;
  try {
    if (type === 'application/json-patch+json') out = applyJsonPatch(current, patch);
    else if (type === 'application/merge-patch+json') {
      if (patch === null || typeof patch !== 'object' || Array.isArray(patch))
        throw new PatchError('merge patch must be a JSON object');
      out = applyMergePatch(current, patch);
    } else out = applyStrategicMergePatch(current, patch, patchMetaFor(metaPlural));
  } catch (err) {
    if (err instanceof ApiError) throw err;
    if (err instanceof PatchError) {
      // kube answers a patch that cannot apply with 422 (json patch) or 400; both name the problem.
      if (type === 'application/json-patch+json')
        throw new ApiError(422, 'Invalid', err.message, undefined, { cause: err });
      throw badRequest(err.message);
    }
    throw err;
  }
  if (out === null || typeof out !== 'object' || Array.isArray(out))
    throw badRequest('the patched object must be a JSON object');
  return out as KObject;
}
