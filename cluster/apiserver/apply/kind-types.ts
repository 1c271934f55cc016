// Which schema server-side apply types a kind by: built-in kinds by the vendored Kubernetes spec
// (their list types and map keys, never a hand list) and the Go zero objects generated from the
// API's Go types; custom resources register their own (crd/); anything else is "deduced".
import { kubernetesSpec } from '../openapi/vendored-spec.js';
import type { KObject } from '../registry/object-store.js';
import type { ResourceInfo } from '../resources.js';
import type { KindTypes } from './field-manager.js';
import { GO_ZERO } from './go-zero.generated.js';
import { TypeModel } from './schema.js';
import { Typed } from './typed-value.js';

function zeroOf(def: string): KObject {
  const out: KObject = {};
  for (const [k, v] of Object.entries(GO_ZERO[def] ?? {}))
    out[k] = typeof v === 'string' && v.startsWith('s:') ? (v.length > 2 ? zeroOf(v.slice(2)) : {}) : v;
  return out;
}

export class KindTypeRegistry {
  private builtin?: { model: TypeModel; typed: Typed };
  private readonly byKind = new Map<string, KindTypes>();
  private readonly custom = new Map<string, KindTypes>();

  /** Custom resources (their structural schema); undefined removes. */
  setCustom(r: { group: string; version: string; kind: string }, types: KindTypes | undefined): void {
    const key = `${r.group}/${r.version}/${r.kind}`;
    if (types) this.custom.set(key, types);
    else this.custom.delete(key);
  }

  get(r: ResourceInfo): KindTypes {
    const key = `${r.group}/${r.version}/${r.kind}`;
    const custom = this.custom.get(key);
    if (custom) return custom;
    let t = this.byKind.get(key);
    if (!t) {
      this.builtin ??= (() => {
        const model = new TypeModel(kubernetesSpec().definitions);
        return { model, typed: new Typed(model) };
      })();
      const root = this.builtin.model.rootOf(r.group, r.version, r.kind);
      const def = TypeModel.defName(root);
      t = { typed: this.builtin.typed, root, zero: () => (def ? zeroOf(def) : {}) };
      this.byKind.set(key, t);
    }
    return t;
  }
}
