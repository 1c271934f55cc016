// The OpenAPI v2 document as gnostic's openapi_v2.Document protobuf (github.com/google/gnostic-models,
// openapiv2/OpenAPIv2.proto), which kube-apiserver serves for
// `Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf` (or the `.v1.0` spelling),
// answering with the `.v1.0` Content-Type since `@` is no MIME token character and Go's
// mime.ParseMediaType (in client-go) rejects it, as kube-openapi's handler does. client-go's
// discovery.OpenAPISchema() asks for exactly that and unmarshals it without looking at the
// Content-Type, so kubectl (e.g. `apply` of a `kind: List`) fails on a JSON answer with
// "proto: cannot parse invalid wire-format data".
//
// The mapping follows gnostic's compiler (NewDocument and friends): JSON maps become repeated
// Named* pairs in document order, `$ref` is `_ref`, `x-` keys are vendor_extension NamedAny whose
// value is the YAML of the JSON value (as are default, example and enum values), and the
// oneof wrappers are SchemaItem, ParametersItem, Parameter{body|non_body{header|form_data|query|
// path}}, ResponseValue, AdditionalPropertiesItem{schema|boolean}, ItemsItem and TypeItem.
// Keys gnostic does not know are left out (gnostic would reject the document instead).
import type { Schema } from './vendored-spec.js';
import { any, anys, extensions, externalDocs, isObject, Msg, named, xml } from './gnostic-message.js';

/** The Content-Type served; requests may also name the deprecated `@v1.0` spelling. */
export const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

const ACCEPTED = new Set([OPENAPI_V2_PROTOBUF, 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf']);

/**
 * True when an Accept header asks for the gnostic protobuf form of /openapi/v2 before JSON (the
 * first media range either form matches wins, as in kube-openapi's negotiation).
 */
export function acceptsOpenApiV2Protobuf(accept: string | undefined): boolean {
  if (!accept) return false;
  for (const range of accept.split(',')) {
    const t = range.split(';')[0]!.trim().toLowerCase();
    if (ACCEPTED.has(t)) return true;
    if (t === 'application/json' || t === 'application/*' || t === '*/*') return false;
  }
  return false;
}

function schema(s: Schema): Msg {
  const m = new Msg();
  m.string(1, s.$ref);
  m.string(2, s.format);
  m.string(3, s.title);
  m.string(4, s.description);
  if (s.default !== undefined) m.message(5, any(s.default));
  m.double(6, s.multipleOf);
  m.double(7, s.maximum);
  m.bool(8, s.exclusiveMaximum);
  m.double(9, s.minimum);
  m.bool(10, s.exclusiveMinimum);
  m.int64(11, s.maxLength);
  m.int64(12, s.minLength);
  m.string(13, s.pattern);
  m.int64(14, s.maxItems);
  m.int64(15, s.minItems);
  m.bool(16, s.uniqueItems);
  m.int64(17, s.maxProperties);
  m.int64(18, s.minProperties);
  m.strings(19, s.required);
  anys(m, 20, s.enum);
  if (typeof s.additionalProperties === 'boolean') {
    const a = new Msg();
    a.oneofBool(2, s.additionalProperties);
    m.message(21, a);
  } else if (isObject(s.additionalProperties)) {
    const a = new Msg();
    a.message(1, schema(s.additionalProperties));
    m.message(21, a);
  }
  if (s.type !== undefined) {
    const t = new Msg();
    t.strings(1, Array.isArray(s.type) ? s.type : [s.type]);
    m.message(22, t);
  }
  if (s.items !== undefined) {
    const items = new Msg();
    for (const x of Array.isArray(s.items) ? s.items : [s.items]) if (isObject(x)) items.message(1, schema(x));
    m.message(23, items);
  }
  if (Array.isArray(s.allOf)) for (const x of s.allOf) if (isObject(x)) m.message(24, schema(x));
  if (isObject(s.properties)) {
    const p = new Msg();
    for (const [k, v] of Object.entries(s.properties)) if (isObject(v)) p.message(1, named(k, schema(v)));
    m.message(25, p);
  }
  m.string(26, s.discriminator);
  m.bool(27, s.readOnly);
  m.message(28, xml(s.xml));
  m.message(29, externalDocs(s.externalDocs));
  if (s.example !== undefined) m.message(30, any(s.example));
  extensions(m, 31, s);
  return m;
}

/** PrimitivesItems (a non-body parameter's or header's `items`). */
function primitivesItems(v: unknown): Msg | undefined {
  if (!isObject(v)) return undefined;
  const m = new Msg();
  primitiveFields(m, v, 1);
  extensions(m, 18, v);
  return m;
}

/** type..multiple_of of PrimitivesItems/Header, which are numbered alike from `first`. */
function primitiveFields(m: Msg, p: Schema, first: number): void {
  m.string(first, p.type);
  m.string(first + 1, p.format);
  m.message(first + 2, primitivesItems(p.items));
  m.string(first + 3, p.collectionFormat);
  if (p.default !== undefined) m.message(first + 4, any(p.default));
  m.double(first + 5, p.maximum);
  m.bool(first + 6, p.exclusiveMaximum);
  m.double(first + 7, p.minimum);
  m.bool(first + 8, p.exclusiveMinimum);
  m.int64(first + 9, p.maxLength);
  m.int64(first + 10, p.minLength);
  m.string(first + 11, p.pattern);
  m.int64(first + 12, p.maxItems);
  m.int64(first + 13, p.minItems);
  m.bool(first + 14, p.uniqueItems);
  anys(m, first + 15, p.enum);
  m.double(first + 16, p.multipleOf);
}

function parameter(p: Schema): Msg {
  const out = new Msg();
  if (p.in === 'body') {
    const b = new Msg();
    b.string(1, p.description);
    b.string(2, p.name);
    b.string(3, p.in);
    b.bool(4, p.required);
    if (isObject(p.schema)) b.message(5, schema(p.schema));
    extensions(b, 6, p);
    out.message(1, b);
    return out;
  }
  // Header/Path sub-schemas have no allow_empty_value; FormData/Query have it as field 5.
  const which = { header: 1, formData: 2, query: 3, path: 4 }[p.in as string] ?? 3;
  const withEmpty = which === 2 || which === 3;
  const s = new Msg();
  s.bool(1, p.required);
  s.string(2, p.in);
  s.string(3, p.description);
  s.string(4, p.name);
  if (withEmpty) s.bool(5, p.allowEmptyValue);
  primitiveFields(s, p, withEmpty ? 6 : 5);
  extensions(s, withEmpty ? 23 : 22, p);
  const nb = new Msg();
  nb.message(which, s);
  out.message(2, nb);
  return out;
}

function jsonReference(r: Schema): Msg {
  const m = new Msg();
  m.string(1, r.$ref);
  m.string(2, r.description);
  return m;
}

function parametersItem(p: Schema): Msg {
  const m = new Msg();
  if (typeof p.$ref === 'string') m.message(2, jsonReference(p));
  else m.message(1, parameter(p));
  return m;
}

function header(h: Schema): Msg {
  const m = new Msg();
  primitiveFields(m, h, 1);
  m.string(18, h.description);
  extensions(m, 19, h);
  return m;
}

function response(r: Schema): Msg {
  const m = new Msg();
  m.string(1, r.description);
  if (isObject(r.schema)) {
    const si = new Msg();
    si.message(1, schema(r.schema));
    m.message(2, si);
  }
  if (isObject(r.headers)) {
    const hs = new Msg();
    for (const [k, v] of Object.entries(r.headers)) if (isObject(v)) hs.message(1, named(k, header(v)));
    m.message(3, hs);
  }
  if (isObject(r.examples)) {
    const ex = new Msg();
    for (const [k, v] of Object.entries(r.examples)) ex.message(1, named(k, any(v)));
    m.message(4, ex);
  }
  extensions(m, 5, r);
  return m;
}

function operation(o: Schema): Msg {
  const m = new Msg();
  m.strings(1, o.tags);
  m.string(2, o.summary);
  m.string(3, o.description);
  m.message(4, externalDocs(o.externalDocs));
  m.string(5, o.operationId);
  m.strings(6, o.produces);
  m.strings(7, o.consumes);
  if (Array.isArray(o.parameters)) for (const p of o.parameters) if (isObject(p)) m.message(8, parametersItem(p));
  if (isObject(o.responses)) {
    const rs = new Msg();
    for (const [code, r] of Object.entries(o.responses)) {
      if (code.startsWith('x-') || !isObject(r)) continue;
      const rv = new Msg();
      if (typeof r.$ref === 'string') rv.message(2, jsonReference(r));
      else rv.message(1, response(r));
      rs.message(1, named(code, rv));
    }
    extensions(rs, 2, o.responses);
    m.message(9, rs);
  }
  m.strings(10, o.schemes);
  m.bool(11, o.deprecated);
  securityRequirements(m, 12, o.security);
  extensions(m, 13, o);
  return m;
}

const OPERATIONS: [string, number][] = [
  ['get', 2],
  ['put', 3],
  ['post', 4],
  ['delete', 5],
  ['options', 6],
  ['head', 7],
  ['patch', 8],
];

function pathItem(p: Schema): Msg {
  const m = new Msg();
  m.string(1, p.$ref);
  for (const [verb, field] of OPERATIONS) if (isObject(p[verb])) m.message(field, operation(p[verb]));
  if (Array.isArray(p.parameters)) for (const x of p.parameters) if (isObject(x)) m.message(9, parametersItem(x));
  extensions(m, 10, p);
  return m;
}

function securityRequirements(m: Msg, field: number, v: unknown): void {
  if (!Array.isArray(v)) return;
  for (const req of v) {
    if (!isObject(req)) continue;
    const r = new Msg();
    for (const [k, scopes] of Object.entries(req)) {
      const a = new Msg();
      a.strings(1, scopes);
      r.message(1, named(k, a));
    }
    m.message(field, r);
  }
}

function securityDefinition(d: Schema): Msg {
  const out = new Msg();
  const m = new Msg();
  if (d.type === 'apiKey') {
    m.string(1, d.type);
    m.string(2, d.name);
    m.string(3, d.in);
    m.string(4, d.description);
    extensions(m, 5, d);
    out.message(2, m);
  } else if (d.type === 'basic') {
    m.string(1, d.type);
    m.string(2, d.description);
    extensions(m, 3, d);
    out.message(1, m);
  } else if (d.type === 'oauth2') {
    // implicit 3, password 4, application 5, accessCode 6; only implicit/accessCode have authorizationUrl.
    const which = { implicit: 3, password: 4, application: 5, accessCode: 6 }[d.flow as string] ?? 3;
    m.string(1, d.type);
    m.string(2, d.flow);
    if (isObject(d.scopes)) {
      const sc = new Msg();
      for (const [k, v] of Object.entries(d.scopes)) {
        const ns = new Msg();
        ns.string(1, k);
        ns.string(2, v);
        sc.message(1, ns);
      }
      m.message(3, sc);
    }
    let f = 4;
    if (which === 3 || which === 6) m.string(f++, d.authorizationUrl);
    if (which !== 3) m.string(f++, d.tokenUrl);
    m.string(f++, d.description);
    extensions(m, f, d);
    out.message(which, m);
  }
  return out;
}

/** The whole document (a JSON OpenAPI v2 object) as openapi.v2.Document bytes. */
export function openApiV2Protobuf(doc: Schema): Buffer {
  const m = new Msg();
  m.string(1, doc.swagger);
  if (isObject(doc.info)) {
    const i = doc.info;
    const info = new Msg();
    info.string(1, i.title);
    info.string(2, i.version);
    info.string(3, i.description);
    info.string(4, i.termsOfService);
    if (isObject(i.contact)) {
      const c = new Msg();
      c.string(1, i.contact.name);
      c.string(2, i.contact.url);
      c.string(3, i.contact.email);
      extensions(c, 4, i.contact);
      info.message(5, c);
    }
    if (isObject(i.license)) {
      const l = new Msg();
      l.string(1, i.license.name);
      l.string(2, i.license.url);
      extensions(l, 3, i.license);
      info.message(6, l);
    }
    extensions(info, 7, i);
    m.message(2, info);
  }
  m.string(3, doc.host);
  m.string(4, doc.basePath);
  m.strings(5, doc.schemes);
  m.strings(6, doc.consumes);
  m.strings(7, doc.produces);
  if (isObject(doc.paths)) {
    const ps = new Msg();
    extensions(ps, 1, doc.paths);
    for (const [k, v] of Object.entries(doc.paths))
      if (!k.startsWith('x-') && isObject(v)) ps.message(2, named(k, pathItem(v)));
    m.message(8, ps);
  }
  if (isObject(doc.definitions)) {
    const ds = new Msg();
    for (const [k, v] of Object.entries(doc.definitions)) if (isObject(v)) ds.message(1, named(k, schema(v)));
    m.message(9, ds);
  }
  if (isObject(doc.parameters)) {
    const ps = new Msg();
    for (const [k, v] of Object.entries(doc.parameters)) if (isObject(v)) ps.message(1, named(k, parameter(v)));
    m.message(10, ps);
  }
  if (isObject(doc.responses)) {
    const rs = new Msg();
    for (const [k, v] of Object.entries(doc.responses)) if (isObject(v)) rs.message(1, named(k, response(v)));
    m.message(11, rs);
  }
  securityRequirements(m, 12, doc.security);
  if (isObject(doc.securityDefinitions)) {
    const sd = new Msg();
    for (const [k, v] of Object.entries(doc.securityDefinitions))
      if (isObject(v)) sd.message(1, named(k, securityDefinition(v)));
    m.message(13, sd);
  }
  if (Array.isArray(doc.tags))
    for (const t of doc.tags) {
      if (!isObject(t)) continue;
      const tm = new Msg();
      tm.string(1, t.name);
      tm.string(2, t.description);
      tm.message(3, externalDocs(t.externalDocs));
      extensions(tm, 4, t);
      m.message(14, tm);
    }
  m.message(15, externalDocs(doc.externalDocs));
  extensions(m, 16, doc);
  return m.done();
}
