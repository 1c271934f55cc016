// What the API machinery does to an object before storing it, per kind (the registries'
// PrepareForCreate/PrepareForUpdate): system metadata, status reset, generation bumps, and the
// status/scale subresource views.
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { Clock } from '../clock.js';
import { rfc3339 } from '../clock.js';
import { apiVersionOf, type ResourceInfo } from '../resources.js';
import { formatLabelSelector } from '../selectors/label-selector.js';
import type { KObject } from './object-store.js';
import { evalJsonPath } from '../crd/json-path.js';

const NAME_CHARS = 'bcdfghjklmnpqrstvwxz2456789';

/** generateName + 5 random characters, as names.SimpleNameGenerator does. */
export function generateName(base: string): string {
  const b = base.length > 58 ? base.slice(0, 58) : base;
  let s = '';
  for (let i = 0; i < 5; i++) s += NAME_CHARS[Math.floor(Math.random() * NAME_CHARS.length)];
  return b + s;
}

export class Strategy {
  constructor(private readonly clock: Clock) {}

  /** Fields the server owns on create; the request's values for them are ignored. */
  prepareForCreate(r: ResourceInfo, obj: KObject, namespace: string): void {
    const md = (obj.metadata ??= {});
    obj.apiVersion = apiVersionOf(r);
    obj.kind = r.kind;
    if (!md.name && md.generateName) md.name = generateName(md.generateName);
    if (r.namespaced) md.namespace = namespace;
    else delete md.namespace;
    md.uid = randomUUID();
    md.creationTimestamp = rfc3339(this.clock.now());
    delete md.deletionTimestamp;
    delete md.deletionGracePeriodSeconds;
    delete md.resourceVersion;
    delete md.selfLink;
    delete md.managedFields;
    if (r.generation) md.generation = 1;
    else delete md.generation;
    switch (r.custom ? '' : r.plural) {
      case 'pods':
        obj.status = { phase: 'Pending', qosClass: qosClass(obj.spec) };
        break;
      case 'namespaces':
        obj.spec = { ...(obj.spec ?? {}), finalizers: ['kubernetes'] };
        obj.status = { phase: 'Active' };
        md.labels = { ...(md.labels ?? {}), 'kubernetes.io/metadata.name': md.name };
        break;
      case 'services':
        obj.status = { loadBalancer: {} };
        break;
      case 'persistentvolumeclaims':
      case 'persistentvolumes':
        obj.status = { phase: 'Pending' };
        break;
      case 'nodes':
        // A node agent registers its Node with status; keep what it sent.
        break;
      default:
        // Custom resources start without status (the status subresource owns it), as kube's CR strategy.
        if (r.custom) {
          if (r.status) delete obj.status;
        } else if (r.status && r.plural !== 'nodes') obj.status = {};
    }
  }

  /** Copies what a client cannot change through the main resource from the stored object. */
  prepareForUpdate(r: ResourceInfo, obj: KObject, old: KObject): void {
    const md = (obj.metadata ??= {});
    const om = old.metadata ?? {};
    obj.apiVersion = apiVersionOf(r);
    obj.kind = r.kind;
    for (const f of [
      'uid',
      'creationTimestamp',
      'deletionTimestamp',
      'deletionGracePeriodSeconds',
      'namespace',
      'generation',
    ]) {
      if (om[f] === undefined) delete md[f];
      else md[f] = om[f];
    }
    delete md.selfLink;
    delete md.managedFields;
    if (r.status && r.plural !== 'nodes') {
      if (old.status === undefined) delete obj.status;
      else obj.status = old.status;
    }
    if (r.plural === 'namespaces') obj.spec = old.spec;
    if (r.plural === 'namespaces') md.labels = { ...(md.labels ?? {}), 'kubernetes.io/metadata.name': md.name };
    if (r.generation && !isDeepStrictEqual(obj.spec, old.spec)) md.generation = (om.generation ?? 0) + 1;
    if (r.plural === 'pods' && obj.spec && old.spec) {
      // Most of a pod's spec is immutable; keep the server-owned scheduling result.
      if (old.spec.nodeName && !obj.spec.nodeName) obj.spec.nodeName = old.spec.nodeName;
    }
  }

  /** The /status view: everything but status comes from the stored object. */
  prepareForStatusUpdate(r: ResourceInfo, obj: KObject, old: KObject): KObject {
    const next = structuredClone(old);
    next.status = obj.status;
    if (r.plural === 'namespaces' && obj.status?.phase === undefined)
      next.status = { ...(obj.status ?? {}), phase: old.status?.phase };
    return next;
  }

  /** autoscaling/v1 Scale for a workload. */
  scaleOf(r: ResourceInfo, obj: KObject): KObject {
    const md = obj.metadata ?? {};
    const paths = r.custom?.scale;
    if (paths) {
      const at = (p: string | undefined) => (p ? evalJsonPath(obj, p)[0] : undefined);
      const sel = at(paths.labelSelectorPath);
      return {
        kind: 'Scale',
        apiVersion: 'autoscaling/v1',
        metadata: {
          name: md.name,
          namespace: md.namespace,
          uid: md.uid,
          resourceVersion: md.resourceVersion,
          creationTimestamp: md.creationTimestamp,
        },
        spec: { replicas: at(paths.specReplicasPath) ?? 0 },
        status: {
          replicas: at(paths.statusReplicasPath) ?? 0,
          ...(typeof sel === 'string' && sel ? { selector: sel } : {}),
        },
      };
    }
    const selector =
      r.plural === 'replicationcontrollers'
        ? Object.entries(obj.spec?.selector ?? {})
            .map(([k, v]) => `${k}=${v}`)
            .join(',')
        : formatLabelSelector(obj.spec?.selector);
    return {
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: {
        name: md.name,
        namespace: md.namespace,
        uid: md.uid,
        resourceVersion: md.resourceVersion,
        creationTimestamp: md.creationTimestamp,
      },
      spec: { replicas: obj.spec?.replicas ?? 1 },
      status: { replicas: obj.status?.replicas ?? 0, selector },
    };
  }
}

/** Pod QoS class from requests/limits (BestEffort, Burstable, Guaranteed). */
export function qosClass(spec: KObject | undefined): string {
  const list = (v: unknown): KObject[] => (Array.isArray(v) ? v.filter((c) => c && typeof c === 'object') : []);
  const containers = [...list(spec?.containers), ...list(spec?.initContainers)];
  let any = false;
  let guaranteed = containers.length > 0;
  for (const c of containers) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    if (Object.keys(req).length || Object.keys(lim).length) any = true;
    for (const res of ['cpu', 'memory']) {
      if (lim[res] === undefined) guaranteed = false;
      else if (req[res] !== undefined && req[res] !== lim[res]) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}
