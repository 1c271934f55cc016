// The OpenAPI fragment a served version of a CustomResourceDefinition contributes, shaped as
// kube-apiserver's for custom resources: a definition named by the reversed group
// (`com.example.stable.v1.CronTab`) with its schema, metadata as ObjectMeta, apiVersion/kind, the
// GVK marker, a List, and the collection/object/status/scale paths with their parameters.
import type { ApiFragment } from '../openapi/fragments.js';
import { reachableDefinitions } from '../openapi/fragments.js';
import { kubernetesSpec, type Schema } from '../openapi/vendored-spec.js';
import type { ResourceInfo } from '../resources.js';

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';

export function definitionName(group: string, version: string, kind: string): string {
  return `${group.split('.').reverse().join('.')}.${version}.${kind}`;
}

/** The root schema with what every object has (apiVersion, kind, metadata), as kube publishes it. */
export function publishedSchema(schema: Schema, r: ResourceInfo): Schema {
  const s = structuredClone(schema);
  s.type ??= 'object';
  s.properties = {
    apiVersion: {
      description:
        'APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources',
      type: 'string',
    },
    kind: {
      description:
        'Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds',
      type: 'string',
    },
    metadata: {
      $ref: `#/definitions/${META}.ObjectMeta`,
      description:
        "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata",
    },
    ...Object.fromEntries(
      Object.entries((s.properties ?? {}) as Record<string, Schema>).filter(
        ([k]) => k !== 'metadata' && k !== 'apiVersion' && k !== 'kind',
      ),
    ),
  };
  s['x-kubernetes-group-version-kind'] = [{ group: r.group, kind: r.kind, version: r.version }];
  return s;
}

function param(name: string, where: 'query' | 'path', type: string, description: string, required = false): Schema {
  return {
    name,
    in: where,
    type,
    description,
    ...(required ? { required: true } : {}),
    ...(where === 'query' ? { uniqueItems: true } : {}),
  };
}

const WRITE_PARAMS = [
  param(
    'dryRun',
    'query',
    'string',
    'When present, indicates that modifications should not be persisted. An invalid or unrecognized dryRun directive will result in an error response and no further processing of the request. Valid values are: - All: all dry run stages will be processed',
  ),
  param(
    'fieldManager',
    'query',
    'string',
    'fieldManager is a name associated with the actor or entity that is making these changes. The value must be less than or 128 characters long, and only contain printable characters, as defined by https://golang.org/pkg/unicode/#IsPrint.',
  ),
  param(
    'fieldValidation',
    'query',
    'string',
    'fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore - Warn (the default) - Strict',
  ),
];

export function customFragment(r: ResourceInfo, schema: Schema): ApiFragment {
  const def = definitionName(r.group, r.version, r.kind);
  const ref = (n: string) => ({ $ref: `#/definitions/${n}` });
  const gvk = { group: r.group, kind: r.kind, version: r.version };
  const base = `/apis/${r.group}/${r.version}${r.namespaced ? '/namespaces/{namespace}' : ''}/${r.plural}`;
  const nsParam = r.namespaced
    ? [param('namespace', 'path', 'string', 'object name and auth scope, such as for teams and projects', true)]
    : [];
  const nameParam = param('name', 'path', 'string', `name of the ${r.kind}`, true);
  const op = (action: string, verb: string, description: string, extra: Schema = {}) => ({
    description,
    operationId: `${verb}${r.namespaced ? 'Namespaced' : ''}${r.kind}`,
    produces: ['application/json', 'application/yaml'],
    schemes: ['https'],
    tags: [`${r.group.split('.').join('_')}_${r.version}`],
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': gvk,
    ...extra,
  });
  const body = (schemaRef: Schema) => ({ name: 'body', in: 'body', required: true, schema: schemaRef });
  const ok = (s: Schema) => ({ '200': { description: 'OK', schema: s }, '401': { description: 'Unauthorized' } });
  const patch = op('patch', 'patch', `partially update the specified ${r.kind}`, {
    consumes: ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml'],
    parameters: [
      { name: 'body', in: 'body', required: true, schema: ref(`${META}.Patch`) },
      ...WRITE_PARAMS,
      param(
        'force',
        'query',
        'boolean',
        'Force is going to "force" Apply requests. It means user will re-acquire conflicting fields owned by other people. Force flag must be unset for non-apply patch requests.',
      ),
    ],
    responses: ok(ref(def)),
  });
  const paths: Record<string, Schema> = {
    [base]: {
      parameters: nsParam,
      get: op('list', 'list', `list objects of kind ${r.kind}`, { responses: ok(ref(`${def}List`)) }),
      post: op('post', 'create', `create a ${r.kind}`, {
        consumes: ['application/json', 'application/yaml'],
        parameters: [body(ref(def)), ...WRITE_PARAMS],
        responses: ok(ref(def)),
      }),
      delete: op('deletecollection', 'deletecollection', `delete collection of ${r.kind}`, {
        responses: ok(ref(`${META}.Status`)),
      }),
    },
    [`${base}/{name}`]: {
      parameters: [nameParam, ...nsParam],
      get: op('get', 'read', `read the specified ${r.kind}`, { responses: ok(ref(def)) }),
      put: op('put', 'replace', `replace the specified ${r.kind}`, {
        consumes: ['application/json', 'application/yaml'],
        parameters: [body(ref(def)), ...WRITE_PARAMS],
        responses: ok(ref(def)),
      }),
      patch,
      delete: op('delete', 'delete', `delete a ${r.kind}`, { responses: ok(ref(`${META}.Status`)) }),
    },
  };
  if (r.status) {
    paths[`${base}/{name}/status`] = {
      parameters: [nameParam, ...nsParam],
      get: op('get', 'read', `read status of the specified ${r.kind}`, {
        operationId: `read${r.namespaced ? 'Namespaced' : ''}${r.kind}Status`,
        responses: ok(ref(def)),
      }),
      put: op('put', 'replace', `replace status of the specified ${r.kind}`, {
        operationId: `replace${r.namespaced ? 'Namespaced' : ''}${r.kind}Status`,
        consumes: ['application/json', 'application/yaml'],
        parameters: [body(ref(def)), ...WRITE_PARAMS],
        responses: ok(ref(def)),
      }),
      patch: {
        ...patch,
        operationId: `patch${r.namespaced ? 'Namespaced' : ''}${r.kind}Status`,
        description: `partially update status of the specified ${r.kind}`,
      },
    };
  }
  if (r.scale) {
    const scale = ref('io.k8s.api.autoscaling.v1.Scale');
    paths[`${base}/{name}/scale`] = {
      parameters: [nameParam, ...nsParam],
      get: op('get', 'read', `read scale of the specified ${r.kind}`, {
        operationId: `read${r.namespaced ? 'Namespaced' : ''}${r.kind}Scale`,
        'x-kubernetes-group-version-kind': { group: 'autoscaling', kind: 'Scale', version: 'v1' },
        responses: ok(scale),
      }),
      put: op('put', 'replace', `replace scale of the specified ${r.kind}`, {
        operationId: `replace${r.namespaced ? 'Namespaced' : ''}${r.kind}Scale`,
        'x-kubernetes-group-version-kind': { group: 'autoscaling', kind: 'Scale', version: 'v1' },
        parameters: [body(scale), ...WRITE_PARAMS],
        responses: ok(scale),
      }),
    };
  }
  const definitions: Record<string, Schema> = {
    [def]: publishedSchema(schema, r),
    [`${def}List`]: {
      description: `${r.kind}List is a list of ${r.kind}`,
      type: 'object',
      required: ['items'],
      properties: {
        apiVersion: { type: 'string' },
        items: {
          type: 'array',
          items: ref(def),
          description: `List of ${r.plural}. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md`,
        },
        kind: { type: 'string' },
        metadata: ref(`${META}.ListMeta`),
      },
      'x-kubernetes-group-version-kind': [{ group: r.group, kind: `${r.kind}List`, version: r.version }],
    },
  };
  const spec = kubernetesSpec();
  const shared = reachableDefinitions([paths, definitions], spec.definitions);
  return { group: r.group, version: r.version, paths, definitions: { ...shared, ...definitions } };
}
