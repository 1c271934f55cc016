// LimitRanger admission (plugin/pkg/admission/limitranger): on pod create, containers that leave
// out requests or limits get the namespace LimitRanges' defaultRequest/default (and the pod a
// `kubernetes.io/limit-ranger` annotation saying so); then min, max and maxLimitRequestRatio of
// Container and Pod items, and the storage bounds of PersistentVolumeClaim items, are enforced.
import { formatQuantity, milliOf, parseQuantityExact, QuantityError } from '../../../common/resource-quantity.js';
import type { KObject, ObjectStore } from '../registry/object-store.js';
import type { ResourceCatalog } from '../resources.js';
import { ApiError, qualified } from '../status.js';
import type { AdmissionAttributes, MutatingPlugin, ValidatingPlugin } from './admission.js';

type O = Record<string, any>;

const ratioText = (n: number) => n.toFixed(6);

export class LimitRanger implements MutatingPlugin, ValidatingPlugin {
  readonly name = 'LimitRanger';

  constructor(
    private readonly store: ObjectStore,
    private readonly catalog: ResourceCatalog,
  ) {}

  private items(namespace: string, type: string): O[] {
    const res = this.catalog.find('', 'v1', 'limitranges');
    if (!res) return [];
    return this.store
      .list(res, namespace)
      .items.flatMap((lr) => (lr.spec?.limits ?? []).filter((i: O) => i?.type === type));
  }

  private applies(a: AdmissionAttributes, plural: string): boolean {
    return (
      a.resource.group === '' &&
      a.resource.plural === plural &&
      a.operation === 'CREATE' &&
      !a.subresource &&
      !!a.object
    );
  }

  admit(a: AdmissionAttributes): void {
    if (!this.applies(a, 'pods')) return;
    const items = this.items(a.namespace, 'Container');
    if (!items.length) return;
    const pod = a.object!;
    const notes: string[] = [];
    for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])] as O[]) {
      if (!c || typeof c !== 'object') continue;
      const setReq: string[] = [];
      const setLim: string[] = [];
      for (const item of items) {
        for (const [k, v] of Object.entries(item.default ?? {})) {
          c.resources ??= {};
          c.resources.limits ??= {};
          if (c.resources.limits[k] === undefined) {
            c.resources.limits[k] = v;
            setLim.push(k);
          }
        }
        for (const [k, v] of Object.entries(item.defaultRequest ?? {})) {
          c.resources ??= {};
          c.resources.requests ??= {};
          if (c.resources.requests[k] === undefined) {
            c.resources.requests[k] = v;
            setReq.push(k);
          }
        }
      }
      if (setReq.length) notes.push(`${setReq.join(', ')} request for container ${c.name}`);
      if (setLim.length) notes.push(`${setLim.join(', ')} limit for container ${c.name}`);
    }
    if (notes.length) {
      pod.metadata ??= {};
      pod.metadata.annotations = {
        ...(pod.metadata.annotations ?? {}),
        'kubernetes.io/limit-ranger': `LimitRanger plugin set: ${notes.join('; ')}`,
      };
    }
  }

  validate(a: AdmissionAttributes): void {
    const errs: string[] = [];
    if (this.applies(a, 'pods')) {
      const pod = a.object!;
      for (const item of this.items(a.namespace, 'Container'))
        for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])] as O[])
          this.check(item, 'Container', c?.resources?.requests ?? {}, c?.resources?.limits ?? {}, errs);
      const podItems = this.items(a.namespace, 'Pod');
      if (podItems.length) {
        const sum = (kind: 'requests' | 'limits') => {
          const out: Record<string, string> = {};
          const acc = new Map<string, bigint>();
          for (const c of (pod.spec?.containers ?? []) as O[])
            for (const [k, v] of Object.entries(c?.resources?.[kind] ?? {}))
              acc.set(k, (acc.get(k) ?? 0n) + this.milli(v));
          for (const [k, m] of acc) out[k] = formatQuantity({ milli: m, format: 'DecimalSI' });
          return out;
        };
        const req = sum('requests');
        const lim = sum('limits');
        // A pod-level limit is only known when every container declares one.
        for (const k of Object.keys(lim))
          if ((pod.spec?.containers ?? []).some((c: O) => c?.resources?.limits?.[k] === undefined)) delete lim[k];
        for (const item of podItems) this.check(item, 'Pod', req, lim, errs);
      }
    } else if (this.applies(a, 'persistentvolumeclaims')) {
      const storage = a.object!.spec?.resources?.requests ?? {};
      for (const item of this.items(a.namespace, 'PersistentVolumeClaim'))
        this.check(item, 'PersistentVolumeClaim', storage, a.object!.spec?.resources?.limits ?? {}, errs, true);
    }
    if (!errs.length) return;
    const r = a.resource;
    const name = a.object?.metadata?.name ?? a.name;
    throw new ApiError(
      403,
      'Forbidden',
      `${qualified(r.plural, r.group)} "${name}" is forbidden: ${errs.length === 1 ? errs[0] : `[${errs.join(', ')}]`}`,
      { name, kind: r.plural },
    );
  }

  private milli(v: unknown): bigint {
    try {
      return milliOf(v);
    } catch (err) {
      if (err instanceof QuantityError) return 0n;
      throw err;
    }
  }

  private check(
    item: O,
    what: string,
    requests: Record<string, unknown>,
    limits: Record<string, unknown>,
    errs: string[],
    claim = false,
  ): void {
    const show = (v: unknown) => {
      try {
        return formatQuantity(parseQuantityExact(v));
      } catch {
        return String(v);
      }
    };
    for (const [k, min] of Object.entries(item.min ?? {})) {
      const req = requests[k];
      const lim = limits[k];
      if (req === undefined) errs.push(`minimum ${k} usage per ${what} is ${show(min)}.  No request is specified`);
      else if (this.milli(req) < this.milli(min))
        errs.push(`minimum ${k} usage per ${what} is ${show(min)}, but request is ${show(req)}`);
      if (lim !== undefined && this.milli(lim) < this.milli(min))
        errs.push(`minimum ${k} usage per ${what} is ${show(min)}, but limit is ${show(lim)}`);
    }
    for (const [k, max] of Object.entries(item.max ?? {})) {
      // A claim's bound is on its requested storage; a container's on its limit.
      const v = claim ? requests[k] : limits[k];
      const label = claim ? 'request' : 'limit';
      if (v === undefined) errs.push(`maximum ${k} usage per ${what} is ${show(max)}.  No ${label} is specified`);
      else if (this.milli(v) > this.milli(max))
        errs.push(`maximum ${k} usage per ${what} is ${show(max)}, but ${label} is ${show(v)}`);
      if (!claim && requests[k] !== undefined && this.milli(requests[k]) > this.milli(max))
        errs.push(`maximum ${k} usage per ${what} is ${show(max)}, but request is ${show(requests[k])}`);
    }
    for (const [k, ratio] of Object.entries(item.maxLimitRequestRatio ?? {})) {
      const req = requests[k];
      const lim = limits[k];
      if (req === undefined || lim === undefined) {
        if (lim !== undefined || req !== undefined)
          errs.push(
            `${k} max limit to request ratio per ${what} is ${show(ratio)}, but no ${req === undefined ? 'request' : 'limit'} is specified`,
          );
        continue;
      }
      const r = Number(this.milli(lim)) / Number(this.milli(req) || 1n);
      if (r > Number(this.milli(ratio)) / 1000)
        errs.push(
          `${k} max limit to request ratio per ${what} is ${show(ratio)}, but provided ratio is ${ratioText(r)}`,
        );
    }
  }
}

/** SetDefaults_LimitRangeItem: a Container item's default is its max, its defaultRequest its default or min. */
export function defaultLimitRange(obj: KObject): void {
  for (const item of (obj.spec?.limits ?? []) as O[]) {
    if (!item || item.type !== 'Container') continue;
    item.default ??= {};
    item.defaultRequest ??= {};
    for (const [k, v] of Object.entries(item.max ?? {})) item.default[k] ??= v;
    for (const [k, v] of Object.entries(item.default)) item.defaultRequest[k] ??= v;
    for (const [k, v] of Object.entries(item.min ?? {})) item.defaultRequest[k] ??= v;
    if (!Object.keys(item.default).length) delete item.default;
    if (!Object.keys(item.defaultRequest).length) delete item.defaultRequest;
  }
}
