// The OpenAPI documents this apiserver serves, built from the API fragments of its group-versions:
// /openapi/v2 (one document) and /openapi/v3 (an index plus one document per group-version).
// Each body is serialised once, gzipped once and given its SHA-512 as hash and ETag, as
// kube-apiserver does, so a client that has it answers with 304 and a cold one gets ~10× fewer
// bytes. A change of the fragments (a CRD) rebuilds only what changed, on the next request.
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { gvPath, type ApiFragment } from './fragments.js';
import { pathItemV3, schemaV3 } from './v3-convert.js';
import { OPENAPI_V2_PROTOBUF, openApiV2Protobuf } from './v2-protobuf.js';
import type { Schema } from './vendored-spec.js';

export interface ServedDocument {
  body: Buffer;
  gzip: Buffer;
  /** SHA-512 of body, upper-case hex (kube-apiserver's ?hash= and ETag). */
  hash: string;
  contentType: string;
}

export function servedDocument(value: unknown, contentType = 'application/json'): ServedDocument {
  return servedBytes(Buffer.from(JSON.stringify(value)), contentType);
}

export function servedBytes(body: Buffer, contentType: string): ServedDocument {
  return {
    body,
    gzip: gzipSync(body, { level: 6 }),
    hash: createHash('sha512').update(body).digest('hex').toUpperCase(),
    contentType,
  };
}

// kube-openapi's OpenAPIV3OneOfTypes: in v3 these two are a oneOf of their JSON forms, in v2 a string.
const ONE_OF: Record<string, { format?: string; oneOf: Schema[] }> = {
  'io.k8s.apimachinery.pkg.util.intstr.IntOrString': {
    format: 'int-or-string',
    oneOf: [{ type: 'integer' }, { type: 'string' }],
  },
  'io.k8s.apimachinery.pkg.api.resource.Quantity': { oneOf: [{ type: 'string' }, { type: 'number' }] },
};

function oneOfTypes(name: string, s: Schema): Schema {
  const o = ONE_OF[name];
  if (!o) return s;
  const { type: _t, format: _f, ...rest } = s;
  return { ...rest, ...o };
}

export interface FragmentSource {
  /** Every served group-version's fragment; `version` changes whenever one of them changed. */
  fragments(): ApiFragment[];
  readonly generation: number;
}

export class OpenApiDocuments {
  private v2Doc?: { generation: number; doc: ServedDocument; value: Schema; protobuf?: ServedDocument };
  private v3Docs = new Map<string, { fragment: ApiFragment; doc: ServedDocument }>();
  private v3Index?: { generation: number; doc: ServedDocument };

  constructor(
    private readonly sources: FragmentSource[],
    private readonly info: { title: string; version: string },
  ) {}

  private generation(): number {
    return this.sources.reduce((n, s) => n * 1_000_003 + s.generation, 0);
  }

  private fragments(): ApiFragment[] {
    return this.sources.flatMap((s) => s.fragments());
  }

  v2(): ServedDocument {
    const gen = this.generation();
    if (this.v2Doc?.generation !== gen) {
      const paths: Record<string, Schema> = {};
      const definitions: Record<string, Schema> = {};
      for (const f of this.fragments()) {
        Object.assign(paths, f.paths);
        Object.assign(definitions, f.definitions);
      }
      const sorted = <T>(o: Record<string, T>) =>
        Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
      const doc = {
        swagger: '2.0',
        info: this.info,
        paths: sorted(paths),
        definitions: sorted(definitions),
        securityDefinitions: {
          BearerToken: {
            description: 'Bearer Token authentication',
            in: 'header',
            name: 'authorization',
            type: 'apiKey',
          },
        },
        security: [{ BearerToken: [] }],
      };
      this.v2Doc = { generation: gen, doc: servedDocument(doc), value: doc };
    }
    return this.v2Doc.doc;
  }

  /** The same document as gnostic's openapi.v2.Document protobuf, encoded once per generation. */
  v2Protobuf(): ServedDocument {
    this.v2();
    const cur = this.v2Doc!;
    cur.protobuf ??= servedBytes(openApiV2Protobuf(cur.value), OPENAPI_V2_PROTOBUF);
    return cur.protobuf;
  }

  /** One group-version's v3 document, by its path (`api/v1`, `apis/apps/v1`). */
  v3(path: string): ServedDocument | undefined {
    this.refreshV3();
    return this.v3Docs.get(path)?.doc;
  }

  v3IndexDocument(): ServedDocument {
    this.refreshV3();
    return this.v3Index!.doc;
  }

  private refreshV3(): void {
    const gen = this.generation();
    if (this.v3Index?.generation === gen) return;
    const next = new Map<string, { fragment: ApiFragment; doc: ServedDocument }>();
    for (const f of this.fragments()) {
      const key = gvPath(f);
      const old = this.v3Docs.get(key);
      next.set(key, old && old.fragment === f ? old : { fragment: f, doc: servedDocument(this.v3Document(f)) });
    }
    this.v3Docs = next;
    const paths: Record<string, { serverRelativeURL: string }> = {};
    for (const [key, { doc }] of [...next].sort(([a], [b]) => (a < b ? -1 : 1)))
      paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${doc.hash}` };
    this.v3Index = { generation: gen, doc: servedDocument({ paths }) };
  }

  private v3Document(f: ApiFragment): Schema {
    const paths: Record<string, Schema> = {};
    for (const [p, item] of Object.entries(f.paths)) paths[p] = pathItemV3(item);
    const schemas: Record<string, Schema> = {};
    for (const name of Object.keys(f.definitions).sort())
      schemas[name] = oneOfTypes(name, schemaV3(f.definitions[name]));
    return {
      openapi: '3.0.0',
      info: this.info,
      paths,
      components: {
        schemas,
        securitySchemes: {
          BearerToken: {
            description: 'Bearer Token authentication',
            in: 'header',
            name: 'authorization',
            type: 'apiKey',
          },
        },
      },
    };
  }
}
