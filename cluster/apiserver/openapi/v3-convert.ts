// OpenAPI v2 → v3, the way kube-openapi writes kube-apiserver's /openapi/v3 documents: schemas
// under components.schemas, a $ref with siblings (a description) wrapped in allOf, body
// parameters as requestBody and responses as content per media type.
import type { Schema } from './vendored-spec.js';

const V3_REF = '#/components/schemas/';

export function schemaV3(s: unknown): any {
  if (Array.isArray(s)) return s.map(schemaV3);
  if (!s || typeof s !== 'object') return s;
  const o = s as Schema;
  const out: Schema = {};
  for (const [k, v] of Object.entries(o)) {
    if (k === '$ref') continue;
    // Property names and free-form maps are data, not schemas; their values are.
    out[k] =
      k === 'enum' || k === 'example' || k === 'default' || k === 'required' || k.startsWith('x-kubernetes-')
        ? v
        : schemaV3(v);
  }
  if (typeof o.$ref === 'string') {
    const ref = V3_REF + o.$ref.slice(o.$ref.lastIndexOf('/') + 1);
    if (Object.keys(out).length === 0) return { $ref: ref };
    return { allOf: [{ $ref: ref }], ...out };
  }
  return out;
}

function parameterV3(p: Schema): Schema {
  const { name, in: where, description, required, type: _t, items, ...rest } = p;
  const schema: Schema = {};
  for (const k of ['type', 'format', 'uniqueItems', 'enum', 'default'] as const)
    if (p[k] !== undefined) schema[k] = p[k];
  if (items) schema.items = schemaV3(items);
  const out: Schema = { name, in: where };
  if (description !== undefined) out.description = description;
  if (required) out.required = required;
  out.schema = schema;
  for (const [k, v] of Object.entries(rest)) if (k.startsWith('x-')) out[k] = v;
  return out;
}

function operationV3(op: Schema, pathParams: Schema[]): Schema {
  const { consumes, produces, parameters, responses, schemes: _s, ...rest } = op;
  const out: Schema = { ...rest };
  const params = (parameters ?? []) as Schema[];
  const body = params.find((p) => p.in === 'body');
  const others = params.filter((p) => p.in !== 'body');
  if (others.length) out.parameters = others.map(parameterV3);
  if (body) {
    const content: Schema = {};
    for (const ct of consumes ?? ['*/*']) content[ct] = { schema: schemaV3(body.schema) };
    out.requestBody = { content, ...(body.required ? { required: true } : {}) };
  }
  if (responses) {
    out.responses = {};
    for (const [code, r] of Object.entries(responses as Record<string, Schema>)) {
      const res: Schema = {};
      if (r.schema) {
        res.content = {};
        for (const ct of produces ?? ['application/json']) res.content[ct] = { schema: schemaV3(r.schema) };
      }
      res.description = r.description;
      out.responses[code] = res;
    }
  }
  void pathParams;
  return out;
}

export function pathItemV3(item: Schema): Schema {
  const out: Schema = {};
  const pathParams = (item.parameters ?? []) as Schema[];
  for (const [k, v] of Object.entries(item)) {
    if (k === 'parameters') out.parameters = pathParams.map(parameterV3);
    else out[k] = operationV3(v as Schema, pathParams);
  }
  return out;
}
