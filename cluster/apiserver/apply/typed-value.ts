// Walks of a JSON value along its SmdType, as structured-merge-diff's typed package does them:
// the field set a value sets (toFieldSet), what changed between two values (compare), the merge
// of an applied configuration into a live object (merge), and removal of owned-by-nobody fields.
import { isDeepStrictEqual } from 'node:util';
import { FieldSet, fieldPE, indexPE, keyPE, valuePE, type Path, type PathElement } from './field-set.js';
import type { Schema } from '../openapi/vendored-spec.js';
import type { SmdType, TypeModel } from './schema.js';

type Obj = Record<string, unknown>;
type ListType = Extract<SmdType, { kind: 'list' }>;

export class TypedError extends Error {}

function hasBelow(set: FieldSet, path: Path): boolean {
  let s: FieldSet | undefined = set;
  for (const pe of path) s = s?.children.get(pe);
  return !!s && !s.empty();
}

const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);

export class Typed {
  constructor(private readonly model: TypeModel) {}

  private childSchema(t: SmdType, key: string): Schema | undefined {
    if (t.kind === 'struct') return t.fields[key] ?? t.extra;
    if (t.kind === 'map') return t.elem;
    return undefined;
  }

  private declared(t: SmdType, key: string): boolean {
    return t.kind === 'struct' && key in t.fields;
  }

  /** The path element of a list item: key fields, the value itself (sets) or the index. */
  listItemPE(t: ListType, item: unknown, index: number): PathElement {
    if (t.listType === 'map') {
      if (!isObj(item))
        throw new TypedError(`element ${index}: associative list with keys may not have non-map elements`);
      const key: Obj = {};
      for (const k of t.keys) {
        const v = item[k] ?? t.keyDefaults[k];
        if (v === undefined)
          throw new TypedError(
            `element ${index}: associative list with keys has an element that omits key field "${k}" (and doesn't have default value)`,
          );
        key[k] = v;
      }
      return keyPE(key);
    }
    if (t.listType === 'set') {
      if (item !== null && typeof item === 'object')
        throw new TypedError(`element ${index}: associative list without keys has an element that's a map type`);
      return valuePE(item);
    }
    return indexPE(index);
  }

  /** kind of value a deduced (schema-less) field holds. */
  private deduce(t: SmdType, v: unknown): SmdType {
    if (t.kind !== 'untyped') return t;
    if (isObj(v)) return { kind: 'map', elem: {}, atomic: false };
    if (Array.isArray(v)) return { kind: 'list', elem: {}, listType: 'atomic', keys: [], keyDefaults: {} };
    return { kind: 'scalar' };
  }

  toFieldSet(value: unknown, schema: Schema | undefined): FieldSet {
    const set = new FieldSet();
    this.fsWalk(value, this.model.typeOf(schema), [], set);
    return set;
  }

  private fsWalk(v: unknown, t0: SmdType, path: Path, set: FieldSet): void {
    const t = this.deduce(t0, v);
    if (t.kind === 'scalar' || t.kind === 'untyped') return void (path.length && set.insert(path));
    if (t.kind === 'list') {
      if (t.listType === 'atomic') return void (path.length && set.insert(path));
      if (!Array.isArray(v)) return;
      const pes = v.map((item, i) => this.listItemPE(t, item, i));
      const seen = new Set<string>();
      const dups = new Set<string>();
      for (const pe of pes) (seen.has(pe) ? dups : seen).add(pe);
      for (const pe of dups) set.insert([...path, pe]);
      const elem = this.model.typeOf(t.elem);
      v.forEach((item, i) => {
        if (dups.has(pes[i]!)) return;
        this.fsWalk(item, elem, [...path, pes[i]!], set);
        set.insert([...path, pes[i]!]);
      });
      return;
    }
    if (t.atomic) return void (path.length && set.insert(path));
    if (!isObj(v)) return;
    for (const [k, val] of Object.entries(v)) {
      if (val === undefined) continue;
      const p = [...path, fieldPE(k)];
      this.fsWalk(val, this.model.typeOf(this.childSchema(t, k)), p, set);
      if (val === null || (isObj(val) && Object.keys(val).length === 0) || !this.declared(t, k)) set.insert(p);
    }
  }

  /** Fields rhs added, changed or removed relative to lhs (SMD's Compare). */
  compare(
    lhs: unknown,
    rhs: unknown,
    schema: Schema | undefined,
  ): { added: FieldSet; modified: FieldSet; removed: FieldSet } {
    const c = { added: new FieldSet(), modified: new FieldSet(), removed: new FieldSet() };
    this.cmpWalk(lhs, rhs, this.model.typeOf(schema), [], c);
    return c;
  }

  private cmpWalk(
    l: unknown,
    r: unknown,
    t0: SmdType,
    path: Path,
    c: { added: FieldSet; modified: FieldSet; removed: FieldSet },
  ): void {
    if (l === undefined && r === undefined) return;
    const t = this.deduce(t0, r !== undefined && r !== null ? r : l);
    let inLeaf = false;
    const leaf = () => {
      inLeaf = true;
      if (!path.length) return;
      if (l === undefined) c.added.insert(path);
      else if (r === undefined) c.removed.insert(path);
      else if (!isDeepStrictEqual(l, r)) c.modified.insert(path);
    };
    if (t.kind === 'scalar' || t.kind === 'untyped') leaf();
    else if (t.kind === 'list') {
      const ll = Array.isArray(l) ? l : undefined;
      const rl = Array.isArray(r) ? r : undefined;
      const bothEmpty = (!ll || !ll.length) && (!rl || !rl.length);
      if (t.listType === 'atomic' || bothEmpty || (l != null && !ll) || (r != null && !rl)) leaf();
      else this.cmpList(t, ll, rl, path, c);
    } else {
      const lm = isObj(l) ? l : undefined;
      const rm = isObj(r) ? r : undefined;
      const bothEmpty = (!lm || !Object.keys(lm).length) && (!rm || !Object.keys(rm).length);
      if (t.atomic || bothEmpty || (l != null && !lm) || (r != null && !rm)) leaf();
      else {
        for (const k of new Set([...Object.keys(lm ?? {}), ...Object.keys(rm ?? {})])) {
          this.cmpWalk(lm?.[k], rm?.[k], this.model.typeOf(this.childSchema(t, k)), [...path, fieldPE(k)], c);
        }
      }
    }
    if (!inLeaf && path.length) {
      if (l === undefined) c.added.insert(path);
      else if (r === undefined) c.removed.insert(path);
    }
  }

  private cmpList(
    t: ListType,
    l: unknown[] | undefined,
    r: unknown[] | undefined,
    path: Path,
    c: { added: FieldSet; modified: FieldSet; removed: FieldSet },
  ): void {
    const order: string[] = [];
    const lv = new Map<string, unknown[]>();
    const rv = new Map<string, unknown[]>();
    (l ?? []).forEach((x, i) => {
      const pe = this.listItemPE(t, x, i);
      if (!lv.has(pe)) order.push(pe);
      lv.set(pe, [...(lv.get(pe) ?? []), x]);
    });
    (r ?? []).forEach((x, i) => {
      const pe = this.listItemPE(t, x, i);
      if (!rv.has(pe) && !lv.has(pe)) order.push(pe);
      rv.set(pe, [...(rv.get(pe) ?? []), x]);
    });
    const elem = this.model.typeOf(t.elem);
    for (const pe of order) {
      const a = lv.get(pe) ?? [];
      const b = rv.get(pe) ?? [];
      if (a.length <= 1 && b.length <= 1) this.cmpWalk(a[0], b[0], elem, [...path, pe], c);
      else if (a.length >= 2 && b.length >= 2) {
        if (!isDeepStrictEqual(a, b)) c.modified.insert([...path, pe]);
      } else if (a.length >= 2) {
        if (b.length) this.cmpWalk(undefined, b[0], elem, [...path, pe], c);
        c.removed.insert([...path, pe]);
      } else {
        if (a.length) this.cmpWalk(a[0], undefined, elem, [...path, pe], c);
        c.added.insert([...path, pe]);
      }
    }
  }

  /** lhs with rhs merged in, rhs winning (SMD's Merge with ruleKeepRHS). */
  merge(lhs: unknown, rhs: unknown, schema: Schema | undefined): unknown {
    return this.mergeWalk(lhs, rhs, this.model.typeOf(schema));
  }

  private mergeWalk(l: unknown, r: unknown, t0: SmdType): unknown {
    if (r === undefined) return l;
    if (l === undefined || l === null) return r;
    const t = this.deduce(t0, r === null ? l : r);
    if (t.kind === 'scalar' || t.kind === 'untyped') return r;
    if (t.kind === 'list') {
      if (t.listType === 'atomic' || !Array.isArray(r) || !Array.isArray(l))
        return r === null && Array.isArray(l) && t.listType !== 'atomic' ? l : r;
      return this.mergeList(t, l, r);
    }
    if (t.atomic || !isObj(r) || !isObj(l)) return r === null && isObj(l) && !t.atomic ? l : r;
    const out: Obj = {};
    for (const [k, v] of Object.entries(l))
      out[k] = k in r ? this.mergeWalk(v, r[k], this.model.typeOf(this.childSchema(t, k))) : v;
    for (const [k, v] of Object.entries(r)) if (!(k in l)) out[k] = v;
    return out;
  }

  /** SMD's merge of associative lists: shared items in lhs order until rhs reorders them, new rhs items after their predecessor. */
  private mergeList(t: ListType, l: unknown[], r: unknown[]): unknown[] {
    const elem = this.model.typeOf(t.elem);
    const index = (list: unknown[]) => {
      const pes: string[] = [];
      const seen = new Map<string, unknown>();
      list.forEach((x, i) => {
        const pe = this.listItemPE(t, x, i);
        if (seen.has(pe)) throw new TypedError(`duplicate entries for key ${pe}`);
        seen.set(pe, x);
        pes.push(pe);
      });
      return { pes, seen };
    };
    const R = index(r);
    const L = index(l);
    const shared = R.pes.filter((pe) => L.seen.has(pe));
    let next = shared.shift();
    const merged = new Set<string>();
    const out: unknown[] = [];
    let li = 0;
    let ri = 0;
    while (li < L.pes.length || ri < R.pes.length) {
      if (li < L.pes.length && ri < R.pes.length) {
        const pe = L.pes[li]!;
        if (pe === R.pes[ri]) {
          merged.add(pe);
          out.push(this.mergeWalk(L.seen.get(pe), R.seen.get(pe), elem));
          li++;
          ri++;
          next = shared.shift();
          continue;
        }
        if (R.seen.has(pe) && next !== undefined && next !== pe) {
          li++;
          continue;
        }
      }
      if (li < L.pes.length) {
        const pe = L.pes[li]!;
        if (!R.seen.has(pe)) {
          out.push(L.seen.get(pe));
          li++;
          continue;
        } else if (merged.has(pe)) li++;
      }
      if (ri < R.pes.length) {
        const pe = R.pes[ri]!;
        merged.add(pe);
        out.push(L.seen.has(pe) ? this.mergeWalk(L.seen.get(pe), R.seen.get(pe), elem) : R.seen.get(pe));
        ri++;
      }
    }
    return out;
  }

  /** SMD's EnsureNamedFieldsAreMembers: a struct's fields that are only descended into become members too. */
  namedFieldsAsMembers(set: FieldSet, schema: Schema | undefined): FieldSet {
    const out = set.clone();
    this.namedWalk(out, this.model.typeOf(schema));
    return out;
  }

  private namedWalk(set: FieldSet, t: SmdType): void {
    for (const [pe, child] of set.children) {
      let ct: SmdType = { kind: 'untyped' };
      if (pe.startsWith('f:') && (t.kind === 'struct' || t.kind === 'map')) {
        const k = pe.slice(2);
        if (this.declared(t, k)) set.members.add(pe);
        ct = this.model.typeOf(this.childSchema(t, k));
      } else if (t.kind === 'list') ct = this.model.typeOf(t.elem);
      this.namedWalk(child, ct);
    }
  }

  /**
   * SMD's prune: fields in `last` (what the manager applied before, named fields as members) that
   * nobody in `owned` owns, at or below them, are removed; what they hold that `last` never
   * listed ("dangling" fields, e.g. metadata.name) stays, and so does a struct still holding it.
   */
  prune(value: unknown, last: FieldSet, owned: FieldSet, schema: Schema | undefined): unknown {
    return this.pruneWalk(value, last, owned, [], this.model.typeOf(schema));
  }

  private pruneWalk(v: unknown, last: FieldSet, owned: FieldSet, path: Path, t0: SmdType): unknown {
    const t = this.deduce(t0, v);
    const decide = (pe: PathElement, child: unknown, ct: SmdType): { keep: boolean; value: unknown } => {
      const p = [...path, pe];
      if (owned.has(p)) return { keep: true, value: child };
      const sub = last.children.get(pe);
      const ownedBelow = hasBelow(owned, p);
      if (!last.members.has(pe) && !sub) return { keep: true, value: child };
      if (!sub) return { keep: ownedBelow, value: child };
      const next = this.pruneWalk(child, sub, owned, p, ct);
      const empty = (isObj(next) && Object.keys(next).length === 0) || (Array.isArray(next) && next.length === 0);
      return { keep: !(last.members.has(pe) && empty && !ownedBelow), value: next };
    };
    if (t.kind === 'list' && Array.isArray(v) && t.listType !== 'atomic') {
      const elem = this.model.typeOf(t.elem);
      const out: unknown[] = [];
      v.forEach((item, i) => {
        const pe = this.listItemPE(t, item, i);
        const d = decide(pe, item, elem);
        if (!d.keep) return;
        // Key fields identify the item: they stay with it.
        if (t.listType === 'map' && isObj(d.value) && isObj(item))
          out.push({ ...Object.fromEntries(t.keys.filter((k) => k in item).map((k) => [k, item[k]])), ...d.value });
        else out.push(d.value);
      });
      return out;
    }
    if ((t.kind === 'struct' || t.kind === 'map') && isObj(v)) {
      const out: Obj = {};
      for (const [k, child] of Object.entries(v)) {
        const d = decide(fieldPE(k), child, this.model.typeOf(this.childSchema(t, k)));
        if (d.keep) out[k] = d.value;
      }
      return out;
    }
    return v;
  }

  /** `value` without the fields at `path` (a path into it in path elements); a copy where changed. */
  removePath(value: unknown, path: Path, schema: Schema | undefined): unknown {
    return this.removeWalk(value, path, this.model.typeOf(schema));
  }

  private removeWalk(v: unknown, path: Path, t0: SmdType): unknown {
    if (!path.length) return undefined;
    const [pe, ...rest] = path as [PathElement, ...Path];
    const t = this.deduce(t0, v);
    if (pe.startsWith('f:') && isObj(v)) {
      const k = pe.slice(2);
      if (!(k in v)) return v;
      const out = { ...v };
      const child = rest.length ? this.removeWalk(v[k], rest, this.model.typeOf(this.childSchema(t, k))) : undefined;
      if (child === undefined) delete out[k];
      else out[k] = child;
      return out;
    }
    if (Array.isArray(v) && t.kind === 'list') {
      const elem = this.model.typeOf(t.elem);
      const out: unknown[] = [];
      v.forEach((item, i) => {
        if (this.listItemPE(t, item, i) !== pe) return void out.push(item);
        if (rest.length) {
          const c = this.removeWalk(item, rest, elem);
          if (c !== undefined) out.push(c);
        }
      });
      return out;
    }
    return v;
  }
}
