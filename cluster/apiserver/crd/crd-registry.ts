// Serves what the stored CustomResourceDefinitions define: each served version becomes a catalog
// entry (discovery, REST, watch), an OpenAPI fragment, a type for server-side apply and a schema
// that admission applies (custom-resource-admission.ts). Loaded from the store at start and kept
// in step with every CRD write; deleting a CRD deletes its objects, as the finalizer in kube does.
import type { KindTypeRegistry } from '../apply/kind-types.js';
import { TypeModel } from '../apply/schema.js';
import { Typed } from '../apply/typed-value.js';
import type { FragmentSource } from '../openapi/documents.js';
import type { ApiFragment } from '../openapi/fragments.js';
import { kubernetesSpec, type Schema } from '../openapi/vendored-spec.js';
import type { KObject, ObjectStore } from '../registry/object-store.js';
import type { PrinterColumn, ResourceCatalog, ResourceInfo } from '../resources.js';
import { customFragment, definitionName, publishedSchema } from './crd-openapi.js';

const ALL_VERBS: ResourceInfo['verbs'] = [
  'delete',
  'deletecollection',
  'get',
  'list',
  'patch',
  'create',
  'update',
  'watch',
];

export class CrdRegistry implements FragmentSource {
  generation = 0;
  private readonly schemas = new Map<string, Schema>();
  private readonly fragmentsByCrd = new Map<string, ApiFragment[]>();
  private all: ApiFragment[] = [];

  constructor(
    private readonly catalog: ResourceCatalog,
    private readonly kindTypes: KindTypeRegistry,
    private readonly store: ObjectStore,
    private readonly log: (line: string) => void = () => {},
  ) {}

  private crdResource(): ResourceInfo {
    return this.catalog.find('apiextensions.k8s.io', 'v1', 'customresourcedefinitions')!;
  }

  /** Serves every stored definition (at apiserver start). */
  load(): void {
    for (const crd of this.store.list(this.crdResource(), '').items) this.observe(crd, false);
  }

  /** The schema of a served custom resource version (undefined for other kinds). */
  schemaOf(r: ResourceInfo): Schema | undefined {
    return r.custom ? this.schemas.get(`${r.group}/${r.version}/${r.plural}`) : undefined;
  }

  fragments(): ApiFragment[] {
    return this.all;
  }

  observe(crd: KObject, deleted: boolean): void {
    const name = String(crd.metadata?.name ?? '');
    for (const r of this.catalog.all.filter((x) => x.custom?.crd === name)) {
      this.schemas.delete(`${r.group}/${r.version}/${r.plural}`);
      this.kindTypes.setCustom(r, undefined);
    }
    const resources = deleted || crd.metadata?.deletionTimestamp ? [] : this.resourcesOf(crd);
    try {
      this.catalog.setCustom(name, resources);
    } catch (err) {
      this.log(
        `apiserver: CustomResourceDefinition ${name} not served: ${err instanceof Error ? err.message : String(err)}`,
      );
      this.catalog.setCustom(name, []);
      return;
    }
    const frags: ApiFragment[] = [];
    for (const r of resources) {
      const v = (crd.spec.versions as KObject[]).find((x) => x.name === r.version)!;
      const schema = v.schema?.openAPIV3Schema ?? { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
      this.schemas.set(`${r.group}/${r.version}/${r.plural}`, schema);
      frags.push(customFragment(r, schema));
      this.kindTypes.setCustom(r, this.kindTypesOf(r, schema));
    }
    if (frags.length) this.fragmentsByCrd.set(name, frags);
    else this.fragmentsByCrd.delete(name);
    this.all = [...this.fragmentsByCrd.values()].flat();
    this.generation++;
    if (deleted) this.deleteObjects(crd);
  }

  private resourcesOf(crd: KObject): ResourceInfo[] {
    const spec = crd.spec ?? {};
    const names = spec.names ?? {};
    return ((spec.versions ?? []) as KObject[])
      .filter((v) => v.served)
      .map((v) => ({
        group: spec.group,
        version: v.name,
        kind: names.kind,
        plural: names.plural,
        singular: names.singular ?? String(names.kind).toLowerCase(),
        shortNames: names.shortNames ?? [],
        categories: names.categories ?? [],
        namespaced: spec.scope === 'Namespaced',
        verbs: ALL_VERBS,
        storagePrefix: `${spec.group}/${names.plural}`,
        status: !!v.subresources?.status,
        scale: !!v.subresources?.scale,
        generation: true,
        virtual: false,
        custom: { crd: String(crd.metadata?.name), columns: columnsOf(v), scale: v.subresources?.scale },
      }));
  }

  /** Server-side apply types custom resources by their schema (metadata as ObjectMeta). */
  private kindTypesOf(r: ResourceInfo, schema: Schema) {
    const def = definitionName(r.group, r.version, r.kind);
    const model = new TypeModel({ ...kubernetesSpec().definitions, [def]: publishedSchema(schema, r) });
    return { typed: new Typed(model), root: { $ref: `#/definitions/${def}` }, zero: () => ({}) };
  }

  private deleteObjects(crd: KObject): void {
    const spec = crd.spec ?? {};
    const r = {
      ...this.crdResource(),
      group: spec.group,
      plural: spec.names?.plural,
      storagePrefix: `${spec.group}/${spec.names?.plural}`,
      namespaced: false,
    };
    for (const o of this.store.list(r, '').items) {
      try {
        const ns = o.metadata?.namespace ?? '';
        this.store.delete({ ...r, namespaced: !!ns }, ns, o.metadata!.name);
      } catch {
        // Gone already.
      }
    }
  }
}

function columnsOf(v: KObject): PrinterColumn[] {
  const cols = (v.additionalPrinterColumns ?? []) as KObject[];
  if (!cols.length)
    return [
      {
        name: 'Age',
        type: 'date',
        format: '',
        description: 'CreationTimestamp is a timestamp representing the server time when this object was created.',
        priority: 0,
        jsonPath: '.metadata.creationTimestamp',
      },
    ];
  return cols.map((c) => ({
    name: c.name,
    type: c.type,
    format: c.format ?? '',
    description: c.description ?? '',
    priority: c.priority ?? 0,
    jsonPath: c.jsonPath,
  }));
}
