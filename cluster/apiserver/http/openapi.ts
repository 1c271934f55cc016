// /openapi/v3: per group-version, each kind's operations with x-kubernetes-group-version-kind and
// the component schemas (`kubectl explain`). kubectl reads the PATCH operation's fieldValidation
// parameter before `kubectl apply`: seeing it,
// kubectl leaves field validation to the server (?fieldValidation=Strict) instead of validating
// against a client-side schema. No requestBody media types are listed, so kubectl computes
// strategic merge patches from its built-in types, which carry the real patch metadata.
import { createHash } from 'node:crypto';
import { apiVersionOf, type ResourceCatalog, type ResourceInfo } from '../resources.js';
import { componentSchemas } from './openapi-schemas.js';

const QUERY_PARAMS = ['dryRun', 'fieldManager', 'fieldValidation', 'force'];

function gvPath(gv: { group: string; version: string }): string {
  return gv.group ? `apis/${gv.group}/${gv.version}` : `api/${gv.version}`;
}

function objectPath(r: ResourceInfo): string {
  const base = `/${gvPath(r)}`;
  return r.namespaced ? `${base}/namespaces/{namespace}/${r.plural}/{name}` : `${base}/${r.plural}/{name}`;
}

function collectionPath(r: ResourceInfo): string {
  const base = `/${gvPath(r)}`;
  return r.namespaced ? `${base}/namespaces/{namespace}/${r.plural}` : `${base}/${r.plural}`;
}

export class OpenApi {
  private readonly docs = new Map<string, string>();
  private readonly index: string;

  constructor(catalog: ResourceCatalog) {
    const paths: Record<string, { serverRelativeURL: string }> = {};
    for (const gv of catalog.groupVersions()) {
      const doc = JSON.stringify(this.document(catalog.inGroupVersion(gv.group, gv.version)));
      const hash = createHash('sha512').update(doc).digest('hex').slice(0, 128).toUpperCase();
      this.docs.set(gvPath(gv), doc);
      paths[gvPath(gv)] = { serverRelativeURL: `/openapi/v3/${gvPath(gv)}?hash=${hash}` };
    }
    this.index = JSON.stringify({ paths });
  }

  /** `/openapi/v3` or `/openapi/v3/<gv path>`; undefined when there is no such document. */
  get(path: string): string | undefined {
    if (path === '/openapi/v3' || path === '/openapi/v3/') return this.index;
    return this.docs.get(path.replace(/^\/openapi\/v3\//, ''));
  }

  private document(resources: ResourceInfo[]): Record<string, unknown> {
    const paths: Record<string, unknown> = {};
    for (const r of resources) {
      const gvk = { group: r.group, version: r.version, kind: r.kind };
      const params = QUERY_PARAMS.map((name) => ({ name, in: 'query', schema: { type: name === 'force' ? 'boolean' : 'string', uniqueItems: true } }));
      const op = (verb: string, action: string) => ({
        operationId: `${verb}${r.namespaced ? 'Namespaced' : ''}${r.kind}`,
        parameters: params,
        responses: { '200': { description: 'OK' } },
        'x-kubernetes-action': action,
        'x-kubernetes-group-version-kind': gvk,
      });
      if (r.virtual) {
        paths[`/${gvPath(r)}/${r.plural}`] = { post: op('create', 'post') };
        continue;
      }
      paths[objectPath(r)] = { put: op('replace', 'put'), patch: op('patch', 'patch'), get: op('read', 'get'), delete: op('delete', 'delete') };
      paths[collectionPath(r)] = { post: op('create', 'post'), get: op('list', 'list') };
    }
    return {
      openapi: '3.0.0',
      info: { title: 'Kubernetes', version: 'v1.32.0' },
      paths,
      components: { schemas: componentSchemas(resources) },
      'x-kubewire-apiVersion': resources[0] ? apiVersionOf(resources[0]) : '',
    };
  }
}
