// The type model server-side apply merges by, built the way kube-openapi's schemaconv builds
// structured-merge-diff's schema from OpenAPI: objects with properties are structs (atomic when
// x-kubernetes-map-type: atomic), additionalProperties are granular maps, arrays take
// x-kubernetes-list-type (a `merge` patch strategy with a merge key counts as a map list, as for
// SMP), everything else is atomic; objects without a schema are "deduced" (untyped).
import { refName, type Schema } from '../openapi/vendored-spec.js';
import { KEY_DEFAULTS } from './go-zero.generated.js';

export type SmdType =
  | { kind: 'scalar' }
  | { kind: 'untyped' }
  | { kind: 'struct'; fields: Record<string, Schema>; extra?: Schema; atomic: boolean }
  | { kind: 'map'; elem: Schema; atomic: boolean }
  | {
      kind: 'list';
      elem: Schema;
      listType: 'atomic' | 'set' | 'map';
      keys: string[];
      keyDefaults: Record<string, unknown>;
    };

const SCALAR: SmdType = { kind: 'scalar' };
const UNTYPED: SmdType = { kind: 'untyped' };

export class TypeModel {
  private readonly cache = new WeakMap<object, SmdType>();
  private kinds?: Map<string, string>;

  /** `definitions` are OpenAPI v2 definitions ($ref `#/definitions/<name>`). */
  constructor(private readonly definitions: Record<string, Schema>) {}

  /** The schema of a definition, by name. */
  definition(name: string): Schema | undefined {
    return this.definitions[name];
  }

  /** The root schema of a kind (by x-kubernetes-group-version-kind), if the model has it. */
  rootOf(group: string, version: string, kind: string): Schema | undefined {
    if (!this.kinds) {
      this.kinds = new Map();
      for (const [name, d] of Object.entries(this.definitions)) {
        for (const gvk of (d['x-kubernetes-group-version-kind'] ?? []) as {
          group: string;
          version: string;
          kind: string;
        }[])
          this.kinds.set(`${gvk.group}/${gvk.version}/${gvk.kind}`, name);
      }
    }
    const name = this.kinds.get(`${group}/${version}/${kind}`);
    return name ? { $ref: `#/definitions/${name}` } : undefined;
  }

  /** Definition name a schema refers to (directly), for tables keyed by it. */
  static defName(s: Schema | undefined): string | undefined {
    return typeof s?.$ref === 'string' ? refName(s.$ref) : undefined;
  }

  typeOf(s: Schema | undefined): SmdType {
    if (!s) return UNTYPED;
    const hit = this.cache.get(s);
    if (hit) return hit;
    const t = this.build(s);
    this.cache.set(s, t);
    return t;
  }

  private build(s: Schema): SmdType {
    if (typeof s.$ref === 'string') {
      const d = this.definitions[refName(s.$ref)];
      return d ? this.typeOf(d) : UNTYPED;
    }
    if (Array.isArray(s.allOf) && s.allOf.length === 1) return this.typeOf(s.allOf[0]);
    if (s['x-kubernetes-int-or-string']) return SCALAR;
    if (s.type === 'array') {
      const elem = (s.items ?? {}) as Schema;
      const lt = s['x-kubernetes-list-type'];
      const strategy = String(s['x-kubernetes-patch-strategy'] ?? '');
      let listType: 'atomic' | 'set' | 'map' = 'atomic';
      let keys: string[] = [];
      if (lt === 'map' || lt === 'set' || lt === 'atomic') {
        listType = lt;
        keys = lt === 'map' ? ((s['x-kubernetes-list-map-keys'] ?? []) as string[]) : [];
      } else if ((strategy === 'merge' || strategy === 'merge,retainKeys') && s['x-kubernetes-patch-merge-key']) {
        listType = 'map';
        keys = [s['x-kubernetes-patch-merge-key']];
      }
      const itemDef = TypeModel.defName(elem);
      return {
        kind: 'list',
        elem,
        listType,
        keys,
        keyDefaults: (itemDef && KEY_DEFAULTS[itemDef]) || keyDefaultsOf(elem),
      };
    }
    const atomic = s['x-kubernetes-map-type'] === 'atomic';
    if (s.properties) {
      const extra =
        s.additionalProperties && typeof s.additionalProperties === 'object'
          ? (s.additionalProperties as Schema)
          : undefined;
      return { kind: 'struct', fields: s.properties as Record<string, Schema>, extra, atomic };
    }
    if (s.additionalProperties && typeof s.additionalProperties === 'object')
      return { kind: 'map', elem: s.additionalProperties as Schema, atomic };
    if (s.type === 'object' || s['x-kubernetes-preserve-unknown-fields'] || s.type === undefined) return UNTYPED;
    return SCALAR;
  }
}

/** Key defaults from an inline item schema (CRDs): its properties' `default` values. */
function keyDefaultsOf(elem: Schema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, p] of Object.entries((elem.properties ?? {}) as Record<string, Schema>))
    if (p.default !== undefined) out[k] = p.default;
  return out;
}
