// Server-side field validation (?fieldValidation=Strict|Warn|Ignore), which kubectl asks for once
// /openapi/v3 says the server supports it: fields the schema does not know are an error (Strict,
// 400 BadRequest) or a warning header (Warn, the default).
import type { KObject } from '../registry/object-store.js';
import type { ResourceInfo } from '../resources.js';
import { unknownFields } from '../schema/known-fields.js';
import { checkTypes } from '../schema/type-check.js';
import { badRequest } from '../status.js';

export function checkUnknownFields(r: ResourceInfo, obj: KObject, url: URL): string[] {
  const mode = url.searchParams.get('fieldValidation') ?? 'Warn';
  if (mode !== 'Strict' && mode !== 'Warn' && mode !== 'Ignore') {
    throw badRequest(`fieldValidation: Unsupported value: "${mode}": supported values: "Ignore", "Strict", "Warn"`);
  }
  checkTypes(r, obj);
  if (mode === 'Ignore') return [];
  const unknown = unknownFields(r, obj);
  if (!unknown.length) return [];
  if (mode === 'Strict') {
    const list = unknown.map((f) => `unknown field "${f}"`);
    throw badRequest(
      `${r.kind} in version "${r.version}" cannot be handled as a ${r.kind}: strict decoding error: ${list.join(', ')}`,
    );
  }
  return unknown.map((f) => `unknown field "${f}"`);
}
