// A custom resource's structural schema (openAPIV3Schema) applied to its objects as
// apiextensions-apiserver does: defaulting (`default` where a field is absent), pruning (fields
// the schema does not specify are dropped, unless x-kubernetes-preserve-unknown-fields), and
// validation (types, enum, required, bounds, lengths, pattern, item and property counts,
// x-kubernetes-validations in CEL), with field.Error wording: `spec.replicas: Invalid value: …`.
import { isDeepStrictEqual } from 'node:util';
import { celRule } from './cel-rules.js';

export type JsonSchema = Record<string, any>;

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** Fills absent fields that have a `default` (a copy of it), depth first as structural defaulting does. */
export function applyDefaults(value: unknown, s: JsonSchema | undefined): unknown {
  if (!s) return value;
  if (isObj(value)) {
    if (s.properties) {
      for (const [k, p] of Object.entries(s.properties as Record<string, JsonSchema>)) {
        if (value[k] === undefined && p.default !== undefined) value[k] = structuredClone(p.default);
        if (value[k] !== undefined) value[k] = applyDefaults(value[k], p);
      }
    } else if (isObj(s.additionalProperties)) {
      for (const k of Object.keys(value)) value[k] = applyDefaults(value[k], s.additionalProperties);
    }
  } else if (Array.isArray(value) && s.items) value.forEach((v, i) => (value[i] = applyDefaults(v, s.items)));
  return value;
}

/** Drops what the schema does not specify; metadata/apiVersion/kind stay at the root (and of embedded resources). */
export function prune(value: unknown, s: JsonSchema | undefined, root = false): unknown {
  if (!s || (s['x-kubernetes-preserve-unknown-fields'] && !s.properties)) return value;
  if (isObj(value)) {
    const keepMeta = root || s['x-kubernetes-embedded-resource'];
    for (const k of Object.keys(value)) {
      if (keepMeta && (k === 'apiVersion' || k === 'kind' || k === 'metadata')) continue;
      const p = s.properties?.[k] ?? (isObj(s.additionalProperties) ? s.additionalProperties : undefined);
      if (p) value[k] = prune(value[k], p);
      else if (!s['x-kubernetes-preserve-unknown-fields'] && s.additionalProperties !== true) delete value[k];
    }
  } else if (Array.isArray(value) && s.items) value.forEach((v, i) => (value[i] = prune(v, s.items)));
  return value;
}

export interface FieldError {
  field: string;
  type:
    | 'FieldValueInvalid'
    | 'FieldValueRequired'
    | 'FieldValueNotSupported'
    | 'FieldValueTooLong'
    | 'FieldValueTooMany'
    | 'FieldValueForbidden';
  detail: string;
  /** The message kube's field.Error prints after the field path. */
  message: string;
  /** A value of the wrong type: CEL rules are then not evaluated. */
  typeError?: boolean;
}

const goValue = (v: unknown): string =>
  typeof v === 'string'
    ? JSON.stringify(v)
    : Array.isArray(v)
      ? `[]interface {}{…}`
      : isObj(v)
        ? `"object"`
        : String(v);

function typeOk(v: unknown, s: JsonSchema): boolean {
  if (v === null) return !!s.nullable;
  if (s['x-kubernetes-int-or-string']) return typeof v === 'string' || Number.isInteger(v);
  switch (s.type) {
    case 'object':
      return isObj(v);
    case 'array':
      return Array.isArray(v);
    case 'string':
      return typeof v === 'string';
    case 'integer':
      return Number.isInteger(v);
    case 'number':
      return typeof v === 'number';
    case 'boolean':
      return typeof v === 'boolean';
    default:
      return true;
  }
}

/**
 * Every problem of `value` against `s`; `old` (the stored object) enables transition rules. As in
 * kube, CEL rules run only when no value has the wrong type (they could not be typed otherwise).
 */
export function validate(value: unknown, s: JsonSchema, path: string, old?: unknown): FieldError[] {
  const errs = check(value, s, path, old, 'schema');
  if (errs.some((e) => e.typeError)) {
    const detail =
      'some validation rules were not checked because the object was invalid; correct the existing errors to complete validation';
    return [
      ...errs,
      { field: '<nil>', type: 'FieldValueInvalid', detail, message: `Invalid value: "null": ${detail}` },
    ];
  }
  return [...errs, ...check(value, s, path, old, 'cel')];
}

function check(value: unknown, s: JsonSchema, path: string, old: unknown, pass: 'schema' | 'cel'): FieldError[] {
  if (pass === 'cel') return celErrors(value, s, path, old);
  const errs: FieldError[] = [];
  const invalid = (detail: string) =>
    errs.push({
      field: path,
      type: 'FieldValueInvalid',
      detail,
      message: `Invalid value: ${goValue(value)}: ${detail}`,
    });
  if (!typeOk(value, s)) {
    const t = s['x-kubernetes-int-or-string'] ? 'integer or string' : s.type;
    const got =
      value === null
        ? 'null'
        : Array.isArray(value)
          ? 'array'
          : Number.isInteger(value)
            ? 'integer'
            : typeof value === 'number'
              ? 'number'
              : typeof value;
    errs.push({
      field: path,
      type: 'FieldValueInvalid',
      typeError: true,
      detail: `${path} in body must be of type ${t}: ${JSON.stringify(got)}`,
      message: `Invalid value: ${JSON.stringify(got)}: ${path} in body must be of type ${t}: ${JSON.stringify(got)}`,
    });
    return errs;
  }
  if (value === null) return errs;
  if (Array.isArray(s.enum) && !s.enum.some((e: unknown) => isDeepStrictEqual(e, value))) {
    errs.push({
      field: path,
      type: 'FieldValueNotSupported',
      detail: 'unsupported value',
      message: `Unsupported value: ${goValue(value)}: supported values: ${s.enum.map((e: unknown) => JSON.stringify(e)).join(', ')}`,
    });
  }
  if (typeof value === 'number') {
    if (s.maximum !== undefined && (s.exclusiveMaximum ? value >= s.maximum : value > s.maximum))
      invalid(`${path} in body should be less than ${s.exclusiveMaximum ? '' : 'or equal to '}${s.maximum}`);
    if (s.minimum !== undefined && (s.exclusiveMinimum ? value <= s.minimum : value < s.minimum))
      invalid(`${path} in body should be greater than ${s.exclusiveMinimum ? '' : 'or equal to '}${s.minimum}`);
    if (s.multipleOf && value % s.multipleOf !== 0) invalid(`${path} in body should be a multiple of ${s.multipleOf}`);
  }
  if (typeof value === 'string') {
    const n = [...value].length;
    if (s.maxLength !== undefined && n > s.maxLength)
      errs.push({
        field: path,
        type: 'FieldValueTooLong',
        detail: 'too long',
        message: `Too long: may not be more than ${s.maxLength} bytes`,
      });
    if (s.minLength !== undefined && n < s.minLength)
      invalid(`${path} in body should be at least ${s.minLength} chars long`);
    if (s.pattern && !new RegExp(s.pattern, 'u').test(value)) invalid(`${path} in body should match '${s.pattern}'`);
  }
  if (Array.isArray(value)) {
    if (s.maxItems !== undefined && value.length > s.maxItems)
      errs.push({
        field: path,
        type: 'FieldValueTooMany',
        detail: 'too many',
        message: `Too many: ${value.length}: must have at most ${s.maxItems} items`,
      });
    if (s.minItems !== undefined && value.length < s.minItems)
      invalid(`${path} in body should have at least ${s.minItems} items`);
    if (s.items) value.forEach((v, i) => errs.push(...check(v, s.items, `${path}[${i}]`, undefined, pass)));
  }
  if (isObj(value)) {
    for (const r of (s.required ?? []) as string[])
      if (value[r] === undefined)
        errs.push({
          field: `${path}.${r}`.replace(/^\./, ''),
          type: 'FieldValueRequired',
          detail: 'required',
          message: 'Required value',
        });
    const n = Object.keys(value).length;
    if (s.maxProperties !== undefined && n > s.maxProperties)
      errs.push({
        field: path,
        type: 'FieldValueTooMany',
        detail: 'too many',
        message: `Too many: ${n}: must have at most ${s.maxProperties} items`,
      });
    if (s.minProperties !== undefined && n < s.minProperties)
      invalid(`${path} in body should have at least ${s.minProperties} properties`);
    const oldObj = isObj(old) ? old : undefined;
    for (const [k, v] of Object.entries(value)) {
      const p = s.properties?.[k] ?? (isObj(s.additionalProperties) ? s.additionalProperties : undefined);
      if (p && !(path === '' && (k === 'metadata' || k === 'apiVersion' || k === 'kind')))
        errs.push(...check(v, p, path ? `${path}.${k}` : k, oldObj?.[k], pass));
    }
  }
  return errs;
}

/** x-kubernetes-validations, depth first (children before the node's own rules, as kube reports them). */
function celErrors(value: unknown, s: JsonSchema, path: string, old: unknown): FieldError[] {
  const errs: FieldError[] = [];
  if (Array.isArray(value) && s.items)
    value.forEach((v, i) => errs.push(...celErrors(v, s.items, `${path}[${i}]`, undefined)));
  if (isObj(value)) {
    const oldObj = isObj(old) ? old : undefined;
    for (const [k, v] of Object.entries(value)) {
      const p = s.properties?.[k] ?? (isObj(s.additionalProperties) ? s.additionalProperties : undefined);
      if (p && !(path === '' && (k === 'metadata' || k === 'apiVersion' || k === 'kind')))
        errs.push(...celErrors(v, p, path ? `${path}.${k}` : k, oldObj?.[k]));
    }
  }
  for (const rule of (s['x-kubernetes-validations'] ?? []) as JsonSchema[]) {
    const failure = celRule(rule).check(value, old, s);
    if (failure)
      errs.push({
        field: rule.fieldPath ? `${path}${rule.fieldPath}` : path,
        type: rule.reason === 'FieldValueForbidden' ? 'FieldValueForbidden' : 'FieldValueInvalid',
        detail: failure,
        message: `Invalid value: ${goValue(value)}: ${failure}`,
      });
  }
  return errs;
}
