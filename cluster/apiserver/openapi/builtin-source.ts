// The built-in kinds' part of the OpenAPI documents: for each group-version of the catalog, the
// vendored Kubernetes spec's paths of the resources (and subresources) served here.
import { subresourcesOf } from '../http/discovery.js';
import type { ResourceCatalog, ResourceInfo } from '../resources.js';
import type { FragmentSource } from './documents.js';
import { builtinFragment, type ApiFragment } from './fragments.js';
import { kubernetesSpec } from './vendored-spec.js';

export class BuiltinFragments implements FragmentSource {
  readonly generation = 0;
  private built?: ApiFragment[];

  constructor(
    private readonly catalog: ResourceCatalog,
    private readonly isBuiltin: (r: ResourceInfo) => boolean = () => true,
  ) {}

  fragments(): ApiFragment[] {
    if (!this.built) {
      const spec = kubernetesSpec();
      const served = (r: ResourceInfo, sub: string) => subresourcesOf(r).some((s) => s.name === sub);
      this.built = this.catalog
        .groupVersions()
        .map((gv) => ({ gv, rs: this.catalog.inGroupVersion(gv.group, gv.version).filter(this.isBuiltin) }))
        .filter(({ rs }) => rs.length > 0)
        .map(({ gv, rs }) => builtinFragment(spec, gv.group, gv.version, rs, served));
    }
    return this.built;
  }
}
