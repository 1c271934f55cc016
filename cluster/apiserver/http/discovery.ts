// Discovery documents (/api, /apis, /apis/<group>, /api/v1, /apis/<group>/<version>) and /version:
// what kubectl's RESTMapper and `kubectl api-resources` read. This is the plain form;
// discovery/aggregated.ts serves the apidiscovery.k8s.io/v2 form clients ask for first.
import { apiVersionOf, type ResourceCatalog, type ResourceInfo } from '../resources.js';

export const KUBERNETES_VERSION = { major: '1', minor: '32', gitVersion: 'v1.32.0+kubewire' };

export function versionInfo(): Record<string, string> {
  return {
    ...KUBERNETES_VERSION,
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2026-01-01T00:00:00Z',
    goVersion: `node${process.versions.node}`,
    compiler: 'tsc',
    platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
  };
}

export function apiVersions(serverAddress: string): Record<string, unknown> {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function group(catalog: ResourceCatalog, name: string): Record<string, unknown> {
  const versions = catalog
    .groupVersions()
    .filter((gv) => gv.group === name)
    .map((gv) => ({ groupVersion: apiVersionOf(gv), version: gv.version }));
  return { name, versions, preferredVersion: versions[0] };
}

export function apiGroupList(catalog: ResourceCatalog): Record<string, unknown> {
  const names = [
    ...new Set(
      catalog
        .groupVersions()
        .map((gv) => gv.group)
        .filter(Boolean),
    ),
  ];
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: names.map((n) => group(catalog, n)) };
}

export function apiGroup(catalog: ResourceCatalog, name: string): Record<string, unknown> | undefined {
  if (!catalog.groupVersions().some((gv) => gv.group === name)) return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', ...group(catalog, name) };
}

export interface SubresourceInfo {
  name: string;
  kind: string;
  verbs: string[];
  /** Set when the subresource answers with another group's kind (scale → autoscaling/v1 Scale). */
  gv?: { group: string; version: string };
}

/** The subresources a resource has here: one list for both discovery forms and OpenAPI. */
export function subresourcesOf(r: ResourceInfo): SubresourceInfo[] {
  const out: SubresourceInfo[] = [];
  if (r.status) out.push({ name: 'status', kind: r.kind, verbs: ['get', 'patch', 'update'] });
  if (r.scale)
    out.push({
      name: 'scale',
      kind: 'Scale',
      verbs: ['get', 'patch', 'update'],
      gv: { group: 'autoscaling', version: 'v1' },
    });
  if (r.plural === 'certificatesigningrequests' && r.group === 'certificates.k8s.io')
    out.push({ name: 'approval', kind: r.kind, verbs: ['get', 'patch', 'update'] });
  if (r.plural === 'serviceaccounts' && r.group === '')
    out.push({
      name: 'token',
      kind: 'TokenRequest',
      verbs: ['create'],
      gv: { group: 'authentication.k8s.io', version: 'v1' },
    });
  if (r.plural === 'pods') {
    out.push({ name: 'binding', kind: 'Binding', verbs: ['create'] });
    out.push({ name: 'log', kind: 'Pod', verbs: ['get'] });
    // Served by the kubelet through the apiserver (kubelet-proxy.ts); `kubectl drain` looks for
    // pods/eviction here to choose the Eviction API over deletes.
    out.push({ name: 'attach', kind: 'PodAttachOptions', verbs: ['create', 'get'] });
    out.push({ name: 'exec', kind: 'PodExecOptions', verbs: ['create', 'get'] });
    out.push({ name: 'portforward', kind: 'PodPortForwardOptions', verbs: ['create', 'get'] });
    out.push({ name: 'eviction', kind: 'Eviction', verbs: ['create'], gv: { group: 'policy', version: 'v1' } });
    out.push({ name: 'ephemeralcontainers', kind: 'Pod', verbs: ['get', 'patch', 'update'] });
  }
  if (r.plural === 'nodes')
    out.push({ name: 'proxy', kind: 'NodeProxyOptions', verbs: ['create', 'delete', 'get', 'patch', 'update'] });
  if (r.plural === 'services')
    out.push({ name: 'proxy', kind: 'ServiceProxyOptions', verbs: ['create', 'delete', 'get', 'patch', 'update'] });
  if (r.plural === 'namespaces') out.push({ name: 'finalize', kind: 'Namespace', verbs: ['update'] });
  return out;
}

function entries(r: ResourceInfo): Record<string, unknown>[] {
  const main: Record<string, unknown> = {
    name: r.plural,
    singularName: r.singular,
    namespaced: r.namespaced,
    kind: r.kind,
    verbs: r.verbs,
  };
  if (r.shortNames.length) main.shortNames = r.shortNames;
  if (r.categories.length) main.categories = r.categories;
  return [
    main,
    ...subresourcesOf(r).map((s) => ({
      name: `${r.plural}/${s.name}`,
      singularName: '',
      namespaced: r.namespaced,
      ...(s.gv ?? {}),
      kind: s.kind,
      verbs: s.verbs,
    })),
  ];
}

export function apiResourceList(
  catalog: ResourceCatalog,
  group: string,
  version: string,
): Record<string, unknown> | undefined {
  const rs = catalog.inGroupVersion(group, version);
  if (!rs.length) return undefined;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: apiVersionOf({ group, version }),
    resources: rs.flatMap(entries),
  };
}
