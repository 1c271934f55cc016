// Aggregated discovery (apidiscovery.k8s.io/v2, KEP-3352): /api and /apis answer, when the client
// asks for it in Accept, with every group-version's resources in one APIGroupDiscoveryList, so a
// cold kubectl needs two requests instead of one per group-version. Same content as the plain
// lists (subresourcesOf), in the v2 shape.
import { type ResourceCatalog, type ResourceInfo } from '../resources.js';
import { subresourcesOf } from '../http/discovery.js';

export type DiscoveryVersion = 'v2' | 'v2beta1';

/**
 * The aggregated version the Accept header asks for first, or undefined for the plain form.
 * client-go 1.32 sends `application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,
 * application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json`.
 */
export function aggregatedDiscoveryVersion(accept: string | undefined): DiscoveryVersion | undefined {
  for (const part of (accept ?? '').split(',')) {
    const [type, ...params] = part.split(';').map((s) => s.trim());
    if (type !== 'application/json') continue;
    const p = Object.fromEntries(params.map((kv) => kv.split('=').map((s) => s.trim()) as [string, string]));
    if (!p.g && !p.v && !p.as) return undefined;
    if (p.g === 'apidiscovery.k8s.io' && p.as === 'APIGroupDiscoveryList' && (p.v === 'v2' || p.v === 'v2beta1'))
      return p.v;
  }
  return undefined;
}

export function discoveryContentType(v: DiscoveryVersion): string {
  return `application/json;g=apidiscovery.k8s.io;v=${v};as=APIGroupDiscoveryList`;
}

function resourceEntry(r: ResourceInfo): Record<string, unknown> {
  const e: Record<string, unknown> = {
    resource: r.plural,
    responseKind: { group: r.group, version: r.version, kind: r.kind },
    scope: r.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: r.singular,
    verbs: r.verbs,
  };
  if (r.shortNames.length) e.shortNames = r.shortNames;
  if (r.categories.length) e.categories = r.categories;
  const subs = subresourcesOf(r);
  if (subs.length) {
    e.subresources = subs.map((s) => ({
      subresource: s.name,
      responseKind: { group: s.gv?.group ?? r.group, version: s.gv?.version ?? r.version, kind: s.kind },
      verbs: s.verbs,
    }));
  }
  return e;
}

/** `/api` (legacy: true, the core group) or `/apis` (every named group) as an APIGroupDiscoveryList. */
export function aggregatedDiscovery(
  catalog: ResourceCatalog,
  legacy: boolean,
  v: DiscoveryVersion,
): Record<string, unknown> {
  const groups = new Map<string, Map<string, ResourceInfo[]>>();
  for (const r of catalog.all) {
    if ((r.group === '') !== legacy) continue;
    const versions = groups.get(r.group) ?? new Map<string, ResourceInfo[]>();
    groups.set(r.group, versions);
    versions.set(r.version, [...(versions.get(r.version) ?? []), r]);
  }
  const items = [...groups].map(([group, versions]) => ({
    metadata: { ...(group ? { name: group } : {}), creationTimestamp: null },
    versions: [...versions].map(([version, rs]) => ({
      version,
      resources: rs.map(resourceEntry),
      freshness: 'Current',
    })),
  }));
  return { kind: 'APIGroupDiscoveryList', apiVersion: `apidiscovery.k8s.io/${v}`, metadata: {}, items };
}
