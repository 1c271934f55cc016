// ResourceQuota admission: a create (or an update that changes what a service or claim uses) is
// refused with 403 when it would take a namespace past a quota's hard limits. Usage is summed from
// the store itself at admission time (the same evaluators the quota controller reports in
// status.used), plus what admitted writes not yet committed will use: the store commits a turn's
// writes together (group commit), so two creates of one turn must not both fit the same room.
import { chargedBy, podMatchesScopes, usageOf, type Usage } from '../../../common/quota-usage.js';
import { addQuantities, formatQuantity, parseQuantityExact, QuantityError } from '../../../common/resource-quantity.js';
import type { KObject, ObjectStore } from '../registry/object-store.js';
import type { ResourceCatalog } from '../resources.js';
import { ApiError, qualified } from '../status.js';
import type { AdmissionAttributes, ValidatingPlugin } from './admission.js';

/** Quota names that make every container of a pod declare that resource. */
const MUST_SPECIFY: Record<string, [string, 'requests' | 'limits']> = {
  'requests.cpu': ['cpu', 'requests'],
  cpu: ['cpu', 'requests'],
  'requests.memory': ['memory', 'requests'],
  memory: ['memory', 'requests'],
  'limits.cpu': ['cpu', 'limits'],
  'limits.memory': ['memory', 'limits'],
};

const pretty = (m: Map<string, string>) =>
  [...m.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');

/** How long an admitted write is charged before it must show up in the store (a failed write's charge lapses). */
const PENDING_MS = 2000;

export class ResourceQuotaAdmission implements ValidatingPlugin {
  readonly name = 'ResourceQuota';
  /** Admitted, maybe not yet committed: namespace → object key → usage, with its expiry. */
  private readonly pending = new Map<
    string,
    Map<string, { usage: Usage; until: number; plural: string; group: string; obj: KObject }>
  >();

  constructor(
    private readonly store: ObjectStore,
    private readonly catalog: ResourceCatalog,
    private readonly now: () => number,
  ) {}

  validate(a: AdmissionAttributes): void {
    const r = a.resource;
    if (!r.namespaced || r.virtual || r.custom || a.subresource || !a.object) return;
    const update = a.operation === 'UPDATE' && (r.plural === 'services' || r.plural === 'persistentvolumeclaims');
    if (a.operation !== 'CREATE' && !update) return;
    const quotaRes = this.catalog.find('', 'v1', 'resourcequotas');
    if (!quotaRes) return;
    const quotas = this.store
      .list(quotaRes, a.namespace)
      .items.sort((x, y) => String(x.metadata?.name).localeCompare(String(y.metadata?.name)));
    if (!quotas.length) return;
    const now = this.now();
    const delta = this.usage(r.plural, r.group, a.object, now);
    if (update && a.oldObject) {
      for (const [k, q] of this.usage(r.plural, r.group, a.oldObject, now))
        delta.set(k, addQuantities(delta.get(k), { milli: -q.milli, format: q.format }));
    }
    const usedCache = new Map<string, Usage>();
    const forbidden = (message: string) =>
      new ApiError(
        403,
        'Forbidden',
        `${qualified(r.plural, r.group)} "${a.object?.metadata?.name ?? a.name}" is forbidden: ${message}`,
        { name: a.object?.metadata?.name ?? a.name, group: r.group || undefined, kind: r.plural },
      );
    for (const quota of quotas) {
      if (r.plural === 'pods' && r.group === '' && !podMatchesScopes(quota, a.object)) continue;
      const hard: Record<string, unknown> = quota.spec?.hard ?? {};
      if (r.plural === 'pods' && r.group === '' && a.operation === 'CREATE') {
        const missing = this.missingDeclarations(a.object, Object.keys(hard));
        if (missing.length)
          throw forbidden(`failed quota: ${quota.metadata?.name}: must specify ${missing.join('; ')}`);
      }
      const requested = new Map<string, string>();
      const used = new Map<string, string>();
      const limited = new Map<string, string>();
      for (const [name, limit] of Object.entries(hard)) {
        const d = delta.get(name);
        if (!d || d.milli <= 0n) continue;
        let hardQ;
        try {
          hardQ = parseQuantityExact(limit);
        } catch (err) {
          if (err instanceof QuantityError) continue;
          throw err;
        }
        const u = this.usedIn(a.namespace, name, now, usedCache, quota);
        if (u.milli + d.milli > hardQ.milli) {
          requested.set(name, formatQuantity(d));
          used.set(name, formatQuantity(u));
          limited.set(name, formatQuantity(hardQ));
        }
      }
      if (limited.size)
        throw forbidden(
          `exceeded quota: ${quota.metadata?.name}, requested: ${pretty(requested)}, used: ${pretty(used)}, limited: ${pretty(limited)}`,
        );
    }
    if (a.operation === 'CREATE' && delta.size) {
      const mine = this.pending.get(a.namespace) ?? new Map();
      this.pending.set(a.namespace, mine);
      mine.set(`${r.plural}.${r.group}/${a.object.metadata?.name ?? ''}`, {
        usage: delta,
        until: now + PENDING_MS,
        plural: r.plural,
        group: r.group,
        obj: a.object,
      });
    }
  }

  /** Charges of admitted creates that the store does not show yet. */
  private pendingUsage(
    namespace: string,
    plural: string,
    group: string,
    seen: Set<string>,
    now: number,
    inScope: (o: KObject) => boolean,
  ): Usage {
    const out: Usage = new Map();
    const mine = this.pending.get(namespace);
    if (!mine) return out;
    for (const [key, p] of mine) {
      if (p.until < now || seen.has(key)) {
        mine.delete(key);
        continue;
      }
      if (p.plural !== plural || p.group !== group || !inScope(p.obj)) continue;
      for (const [k, q] of p.usage) out.set(k, addQuantities(out.get(k), q));
    }
    if (!mine.size) this.pending.delete(namespace);
    return out;
  }

  private usage(plural: string, group: string, obj: KObject, now: number): Usage {
    try {
      return usageOf(plural, group, obj, now);
    } catch (err) {
      // A malformed quantity is refused by validation, which runs with the same object.
      if (err instanceof QuantityError) return new Map();
      throw err;
    }
  }

  /** `<resource> for: <containers>` for each resource a quota requires and some container omits. */
  private missingDeclarations(pod: KObject, names: string[]): string[] {
    const out = new Map<string, string[]>();
    for (const name of names) {
      const need = MUST_SPECIFY[name];
      if (!need) continue;
      const [res, kind] = need;
      for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
        if (c?.resources?.[kind]?.[res] === undefined) {
          const key = `${kind}.${res}`;
          out.set(key, [...new Set([...(out.get(key) ?? []), c?.name])]);
        }
      }
    }
    return [...out.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, cs]) => `${k} for: ${cs.join(',')}`);
  }

  /** What the namespace uses now of one quota resource, summed over the objects charged for it. */
  private usedIn(namespace: string, name: string, now: number, cache: Map<string, Usage>, quota: KObject) {
    let total = { milli: 0n, format: 'DecimalSI' as const } as ReturnType<typeof parseQuantityExact>;
    for (const [plural, group] of chargedBy(name)) {
      const key = `${plural}.${group}.${JSON.stringify(quota.spec?.scopes ?? [])}${JSON.stringify(quota.spec?.scopeSelector ?? null)}`;
      let u = cache.get(key);
      if (!u) {
        u = new Map();
        const res = this.catalog.all.find((x) => x.plural === plural && x.group === group && !x.virtual);
        if (res?.namespaced) {
          const seen = new Set<string>();
          for (const o of this.store.list(res, namespace).items) {
            seen.add(`${plural}.${group}/${o.metadata?.name}`);
            if (plural === 'pods' && group === '' && !podMatchesScopes(quota, o)) continue;
            for (const [k, q] of this.usage(plural, group, o, now)) u.set(k, addQuantities(u.get(k), q));
          }
          const inScope = (o: KObject) => !(plural === 'pods' && group === '') || podMatchesScopes(quota, o);
          for (const [k, q] of this.pendingUsage(namespace, plural, group, seen, now, inScope))
            u.set(k, addQuantities(u.get(k), q));
        }
        cache.set(key, u);
      }
      const q = u.get(name);
      if (q) total = addQuantities(total.milli === 0n ? undefined : total, q);
    }
    return total;
  }
}
