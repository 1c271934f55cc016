// Server-side apply's field manager, as kube-apiserver chains it (k8s.io/apimachinery's
// managedfields): every write records which manager set which fields in metadata.managedFields —
// an Update entry (the fields this write changed, added to what the manager had) for create,
// update and non-apply patches; an Apply entry (exactly the applied configuration's fields) for
// application/apply-patch+yaml, which merges the configuration into the live object, removes
// fields the manager applied before and nobody owns now, and refuses to change fields another
// manager owns unless forced (409 with kube's wording). Also: "before-first-apply" for objects
// written before tracking, and kubectl's client-side → server-side apply migration (fields of the
// last-applied annotation may be taken over; the annotation is kept in step with the apply).
import { rfc3339, type Clock } from '../clock.js';
import type { KObject } from '../registry/object-store.js';
import type { ResourceInfo } from '../resources.js';
import { ApiError } from '../status.js';
import { FieldSet, fieldPE, pathString, type Path } from './field-set.js';
import {
  decodeManagedFields,
  encodeManagedFields,
  ManagedFieldsError,
  managerKey,
  printManager,
  type ManagedEntry,
} from './managed-fields.js';
import type { Schema } from '../openapi/vendored-spec.js';
import { TypedError, type Typed } from './typed-value.js';

export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** What the field manager needs to know about one kind. */
export interface KindTypes {
  typed: Typed;
  root: Schema | undefined;
  /** The object a zero Go value of the kind converts to (what a create is compared against). */
  zero(): KObject;
}

const STRIP = (() => {
  const s = new FieldSet();
  for (const f of ['apiVersion', 'kind', 'metadata']) s.insert([fieldPE(f)]);
  for (const f of [
    'name',
    'namespace',
    'creationTimestamp',
    'selfLink',
    'uid',
    'clusterName',
    'generation',
    'managedFields',
    'resourceVersion',
  ])
    s.insert([fieldPE('metadata'), fieldPE(f)]);
  return s;
})();

/** Fields a write through this (sub)resource cannot set, so it never owns them (ResetFields). */
function ignoredFields(r: ResourceInfo, subresource: string): FieldSet {
  const s = new FieldSet();
  if (subresource === 'status') s.insert([fieldPE('spec')]);
  else if (r.status) s.insert([fieldPE('status')]);
  return s;
}

function apiVersionOf(r: ResourceInfo): string {
  return r.group ? `${r.group}/${r.version}` : r.version;
}

type Comparison = ReturnType<Typed['compare']>;

export class FieldManager {
  constructor(
    private readonly typesOf: (r: ResourceInfo) => KindTypes,
    private readonly clock: Clock,
  ) {}

  /**
   * managedFields for a create (live undefined), update or non-apply patch of `next`. Entries the
   * client sent in `next` replace the live ones (kubectl's migration rewrites them so), except
   * through a subresource. Never throws for a value the schema cannot type: kube then leaves the
   * entries as they were (UpdateNoErrors).
   */
  update(
    r: ResourceInfo,
    live: KObject | undefined,
    next: KObject,
    manager: string,
    subresource: string,
    requested: unknown,
  ): unknown[] | undefined {
    const k = this.typesOf(r);
    try {
      let managers = decodeManagedFields(live?.metadata?.managedFields);
      if (!subresource && Array.isArray(requested) && requested.length) managers = decodeManagedFields(requested);
      const base = live ?? k.zero();
      this.updateManagers(k, r, managers, base, next, manager, subresource);
      return encodeManagedFields(managers.values());
    } catch (err) {
      if (err instanceof TypedError || err instanceof ManagedFieldsError)
        return live?.metadata?.managedFields as unknown[] | undefined;
      throw err;
    }
  }

  private updateManagers(
    k: KindTypes,
    r: ResourceInfo,
    managers: Map<string, ManagedEntry>,
    base: KObject,
    next: KObject,
    manager: string,
    subresource: string,
  ): void {
    const cmp = this.filtered(k.typed.compare(base, next, k.root), ignoredFields(r, subresource));
    this.takeFromOthers(managers, cmp, '', true);
    const changed = cmp.modified.union(cmp.added).difference(STRIP);
    if (changed.empty()) return;
    const entry = {
      manager,
      operation: 'Update' as const,
      apiVersion: apiVersionOf(r),
      subresource: subresource || undefined,
    };
    const key = managerKey(entry);
    const prev = managers.get(key);
    managers.delete(key);
    managers.set(key, { ...entry, time: rfc3339(this.clock.now()), set: prev ? changed.union(prev.set) : changed });
  }

  private filtered(c: Comparison, ignored: FieldSet): Comparison {
    return {
      added: c.added.recursiveDifference(ignored),
      modified: c.modified.recursiveDifference(ignored),
      removed: c.removed.recursiveDifference(ignored),
    };
  }

  /** SMD's update(): conflicts (or, forced, the fields taken) and removed fields leave the others' sets. */
  private takeFromOthers(managers: Map<string, ManagedEntry>, cmp: Comparison, self: string, force: boolean): void {
    const touched = cmp.modified.union(cmp.added);
    const conflicts: { entry: ManagedEntry; set: FieldSet }[] = [];
    for (const [key, e] of managers) {
      if (key === self) continue;
      const c = e.set.intersection(touched);
      if (!c.empty()) conflicts.push({ entry: e, set: c });
    }
    if (!force && conflicts.length) throw conflictError(conflicts);
    for (const { entry, set } of conflicts) entry.set = entry.set.difference(set);
    if (!cmp.removed.empty()) for (const [key, e] of managers) if (key !== self) e.set = e.set.difference(cmp.removed);
    for (const [key, e] of managers) if (e.set.empty()) managers.delete(key);
  }

  /**
   * The object after applying `config` as `manager` (live undefined: the apply creates it), with
   * its managedFields set. Throws 409 on conflicts unless `force`.
   */
  apply(
    r: ResourceInfo,
    live: KObject | undefined,
    config: KObject,
    manager: string,
    force: boolean,
    subresource: string,
  ): KObject {
    const k = this.typesOf(r);
    try {
      return this.applyTyped(k, r, live, config, manager, force, subresource);
    } catch (err) {
      if (err instanceof TypedError)
        throw new ApiError(
          500,
          'InternalError',
          `failed to create typed patch object (${apiVersionOf(r)}, Kind=${r.kind}): ${err.message}`,
          undefined,
          { cause: err },
        );
      if (err instanceof ManagedFieldsError)
        throw new ApiError(500, 'InternalError', `failed to decode managed fields: ${err.message}`, undefined, {
          cause: err,
        });
      throw err;
    }
  }

  private applyTyped(
    k: KindTypes,
    r: ResourceInfo,
    live0: KObject | undefined,
    config: KObject,
    manager: string,
    force: boolean,
    subresource: string,
  ): KObject {
    const managers = decodeManagedFields(live0?.metadata?.managedFields);
    const zero = k.zero();
    const live = live0 ? structuredClone(live0) : zero;
    if (live.metadata) delete live.metadata.managedFields;
    // Objects written before fields were tracked: their fields go to "before-first-apply".
    if (live0 && managers.size === 0) this.updateManagers(k, r, managers, zero, live, 'before-first-apply', '');
    const ignored = ignoredFields(r, subresource);
    const applied = k.typed.toFieldSet(config, k.root).recursiveDifference(ignored);
    const entry = {
      manager,
      operation: 'Apply' as const,
      apiVersion: apiVersionOf(r),
      subresource: subresource || undefined,
    };
    const key = managerKey(entry);
    const last = managers.get(key);
    const attempt = (forced: boolean) => {
      const ms = new Map([...managers].map(([kk, e]) => [kk, { ...e }]));
      ms.set(key, { ...entry, time: last?.time, set: applied });
      let merged = k.typed.merge(live, config, k.root) as KObject;
      if (last) merged = this.prune(k, merged, last.set, ms);
      const cmp = this.filtered(k.typed.compare(live, merged, k.root), ignored);
      this.takeFromOthers(ms, cmp, key, forced);
      return { ms, merged };
    };
    let out: { ms: Map<string, ManagedEntry>; merged: KObject };
    try {
      out = attempt(force);
    } catch (err) {
      // kubectl moving from client-side apply: fields the last-applied annotation set (and still
      // hold its values) may be taken over without --force-conflicts.
      if (!(err instanceof ConflictError) || manager !== 'kubectl') throw err;
      const allowed = this.lastAppliedFields(k, live);
      const remaining = err.conflicts.filter((c) => !allowed?.has(c.path));
      if (!allowed || remaining.length) throw remaining.length && allowed ? conflictErrorOf(remaining) : err;
      out = attempt(true);
    }
    const { ms, merged } = out;
    const own = ms.get(key)!;
    own.set = own.set.difference(STRIP);
    if (own.set.empty()) ms.delete(key);
    const changed = !sameContent(live, merged);
    if (changed && ms.has(key)) own.time = rfc3339(this.clock.now());
    if (manager === 'kubectl' && live0?.metadata?.annotations?.[LAST_APPLIED] !== undefined) {
      merged.metadata = {
        ...(merged.metadata ?? {}),
        annotations: { ...(merged.metadata?.annotations ?? {}), [LAST_APPLIED]: lastAppliedOf(config) },
      };
    }
    merged.metadata = { ...(merged.metadata ?? {}), managedFields: encodeManagedFields(ms.values()) };
    return merged;
  }

  /** SMD's prune: fields the manager applied last time, applies no more, and nobody else owns. */
  private prune(k: KindTypes, merged: KObject, lastSet: FieldSet, managers: Map<string, ManagedEntry>): KObject {
    let owned = new FieldSet();
    for (const e of managers.values()) owned = owned.union(e.set);
    return k.typed.prune(merged, k.typed.namedFieldsAsMembers(lastSet, k.root), owned, k.root) as KObject;
  }

  /** Fields the last-applied annotation set that still hold those values in the live object. */
  private lastAppliedFields(k: KindTypes, live: KObject): FieldSet | undefined {
    const text = live.metadata?.annotations?.[LAST_APPLIED];
    if (typeof text !== 'string' || !text) return undefined;
    let last: KObject;
    try {
      last = JSON.parse(text) as KObject;
    } catch {
      return undefined;
    }
    if (last.apiVersion !== live.apiVersion) return undefined;
    const set = k.typed.toFieldSet(last, k.root);
    const c = k.typed.compare(last, live, k.root);
    return set.difference(c.modified).difference(c.added).difference(c.removed);
  }
}

function sameContent(a: KObject, b: KObject): boolean {
  const strip = (o: KObject) => ({ ...o, metadata: { ...(o.metadata ?? {}), managedFields: undefined } });
  return JSON.stringify(strip(a)) === JSON.stringify(strip(b));
}

/** The annotation kubectl's client-side apply reads: the applied config without the annotation. */
function lastAppliedOf(config: KObject): string {
  const c = structuredClone(config);
  if (c.metadata?.annotations) delete c.metadata.annotations[LAST_APPLIED];
  return `${JSON.stringify(sortKeys(c))}\n`;
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (!v || typeof v !== 'object') return v;
  return Object.fromEntries(
    Object.keys(v)
      .sort()
      .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
  );
}

interface Conflict {
  entry: ManagedEntry;
  path: Path;
}

export class ConflictError extends ApiError {
  constructor(
    readonly conflicts: Conflict[],
    message: string,
  ) {
    super(409, 'Conflict', message, {
      causes: conflicts.map((c) => ({
        reason: 'FieldManagerConflict',
        message: `conflict with ${printManager(c.entry)}`,
        field: pathString(c.path),
      })),
    });
  }
}

function conflictError(sets: { entry: ManagedEntry; set: FieldSet }[]): ConflictError {
  const list: Conflict[] = sets.flatMap(({ entry, set }) => set.paths().map((path) => ({ entry, path })));
  const order = (c: Conflict) => managerKey(c.entry);
  list.sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0));
  return conflictErrorOf(list);
}

/** kube's getConflictMessage. */
function conflictErrorOf(list: Conflict[]): ConflictError {
  if (list.length === 1)
    return new ConflictError(
      list,
      `Apply failed with 1 conflict: conflict with ${printManager(list[0]!.entry)}: ${pathString(list[0]!.path)}`,
    );
  const byManager = new Map<string, Conflict[]>();
  for (const c of list) byManager.set(managerKey(c.entry), [...(byManager.get(managerKey(c.entry)) ?? []), c]);
  const lines: string[] = [];
  for (const m of [...byManager.keys()].sort()) {
    const cs = byManager.get(m)!;
    lines.push(`conflicts with ${printManager(cs[0]!.entry)}:`, ...cs.map((c) => `- ${pathString(c.path)}`));
  }
  return new ConflictError(list, `Apply failed with ${list.length} conflicts: ${lines.join('\n')}`);
}
