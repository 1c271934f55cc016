// What one object costs against a ResourceQuota (kube's quota evaluators, pkg/quota/v1/evaluator/
// core): pods count their containers' requests and limits, services their node ports and load
// balancers, claims their storage, and every object counts as `count/<resource>.<group>` (plus the
// legacy names `pods`, `services`, `configmaps`, …). Shared by quota admission and the controller.
import { addQuantities, parseQuantityExact, type Quantity } from './resource-quantity.js';

// Objects of any kind arrive here as parsed JSON; the evaluators read the fields they know.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type O = Record<string, any>;
export type Usage = Map<string, Quantity>;

const ONE: Quantity = { milli: 1000n, format: 'DecimalSI' };
const LEGACY_COUNTED = new Set([
  'pods',
  'services',
  'configmaps',
  'secrets',
  'persistentvolumeclaims',
  'replicationcontrollers',
  'resourcequotas',
]);

export const countName = (plural: string, group: string): string =>
  group ? `count/${plural}.${group}` : `count/${plural}`;

/** The resource of a `count/…` quota name: [plural, group]. */
export function countedResource(name: string): [string, string] | undefined {
  const m = /^count\/([a-z0-9-]+)(?:\.(.+))?$/.exec(name);
  return m ? [m[1]!, m[2] ?? ''] : undefined;
}

/** A terminal pod (or one whose deletion grace ran out) no longer uses quota. */
export function podIsTerminal(pod: O, now: number): boolean {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return true;
  const del = pod.metadata?.deletionTimestamp;
  if (del && pod.metadata?.deletionGracePeriodSeconds !== undefined)
    return Date.parse(del) + pod.metadata.deletionGracePeriodSeconds * 1000 < now;
  return false;
}

function add(u: Usage, name: string, q: Quantity): void {
  u.set(name, addQuantities(u.get(name), q));
}

/** max(sum of containers, largest init container) per resource, as the pod's effective value. */
function podResources(pod: O, kind: 'requests' | 'limits'): Map<string, Quantity> {
  const sum = new Map<string, Quantity>();
  for (const c of pod.spec?.containers ?? [])
    for (const [k, v] of Object.entries(c?.resources?.[kind] ?? {}))
      sum.set(k, addQuantities(sum.get(k), parseQuantityExact(v)));
  for (const c of pod.spec?.initContainers ?? [])
    for (const [k, v] of Object.entries(c?.resources?.[kind] ?? {})) {
      const q = parseQuantityExact(v);
      const cur = sum.get(k);
      if (!cur || q.milli > cur.milli) sum.set(k, q);
    }
  for (const [k, v] of Object.entries(pod.spec?.overhead ?? {}))
    sum.set(k, addQuantities(sum.get(k), parseQuantityExact(v)));
  return sum;
}

const COMPUTE = ['cpu', 'memory', 'ephemeral-storage'];

export function podUsage(pod: O, now: number): Usage {
  const u: Usage = new Map();
  if (podIsTerminal(pod, now)) return u;
  add(u, 'pods', ONE);
  add(u, 'count/pods', ONE);
  const requests = podResources(pod, 'requests');
  const limits = podResources(pod, 'limits');
  for (const [k, q] of requests) {
    add(u, `requests.${k}`, q);
    if (COMPUTE.includes(k)) add(u, k, q);
    if (k.includes('/') && !k.startsWith('requests.')) add(u, `requests.${k}`, q);
  }
  for (const [k, q] of limits) add(u, `limits.${k}`, q);
  return u;
}

export function serviceUsage(svc: O): Usage {
  const u: Usage = new Map();
  add(u, 'services', ONE);
  add(u, 'count/services', ONE);
  const type = svc.spec?.type ?? 'ClusterIP';
  if (type === 'LoadBalancer') add(u, 'services.loadbalancers', ONE);
  if (type === 'NodePort' || type === 'LoadBalancer') {
    const ports = (svc.spec?.ports ?? []).length;
    if (ports) add(u, 'services.nodeports', { milli: BigInt(ports) * 1000n, format: 'DecimalSI' });
  }
  return u;
}

export function claimUsage(pvc: O): Usage {
  const u: Usage = new Map();
  add(u, 'persistentvolumeclaims', ONE);
  add(u, 'count/persistentvolumeclaims', ONE);
  const storage = pvc.spec?.resources?.requests?.storage;
  const cls = pvc.spec?.storageClassName;
  if (cls) add(u, `${cls}.storageclass.storage.k8s.io/persistentvolumeclaims`, ONE);
  if (storage !== undefined) {
    const q = parseQuantityExact(storage);
    add(u, 'requests.storage', q);
    if (cls) add(u, `${cls}.storageclass.storage.k8s.io/requests.storage`, q);
  }
  return u;
}

/** Everything `obj` (of resource plural.group) uses. */
export function usageOf(plural: string, group: string, obj: O, now: number): Usage {
  if (group === '' && plural === 'pods') return podUsage(obj, now);
  if (group === '' && plural === 'services') return serviceUsage(obj);
  if (group === '' && plural === 'persistentvolumeclaims') return claimUsage(obj);
  const u: Usage = new Map();
  add(u, countName(plural, group), ONE);
  if (group === '' && LEGACY_COUNTED.has(plural)) add(u, plural, ONE);
  return u;
}

/** Which resources (plural, group) a quota name is charged by. */
export function chargedBy(name: string): [string, string][] {
  const counted = countedResource(name);
  if (counted) return [counted];
  if (LEGACY_COUNTED.has(name)) return [[name, '']];
  if (name.startsWith('services.')) return [['services', '']];
  if (name === 'requests.storage' || name.includes('.storageclass.storage.k8s.io/'))
    return [['persistentvolumeclaims', '']];
  return [['pods', '']];
}

/** Pod scopes of a quota (Terminating, NotTerminating, BestEffort, NotBestEffort, PriorityClass). */
export function podMatchesScopes(quota: O, pod: O): boolean {
  const bestEffort = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].every(
    (c: O) => !Object.keys(c?.resources?.requests ?? {}).length && !Object.keys(c?.resources?.limits ?? {}).length,
  );
  const terminating = pod.spec?.activeDeadlineSeconds !== undefined && pod.spec?.activeDeadlineSeconds !== null;
  const scopeMatch = (scope: string, op = 'Exists', values: string[] = []): boolean => {
    switch (scope) {
      case 'Terminating':
        return terminating;
      case 'NotTerminating':
        return !terminating;
      case 'BestEffort':
        return bestEffort;
      case 'NotBestEffort':
        return !bestEffort;
      case 'PriorityClass': {
        const pc = pod.spec?.priorityClassName ?? '';
        if (op === 'Exists') return pc !== '';
        if (op === 'DoesNotExist') return pc === '';
        if (op === 'In') return values.includes(pc);
        if (op === 'NotIn') return !values.includes(pc);
        return false;
      }
      default:
        return true;
    }
  };
  for (const s of quota.spec?.scopes ?? []) if (!scopeMatch(s)) return false;
  for (const e of quota.spec?.scopeSelector?.matchExpressions ?? [])
    if (!scopeMatch(e.scopeName, e.operator, e.values)) return false;
  return true;
}
