// Discovery documents (/api, /apis, /apis/<group>, /api/v1, /apis/<group>/<version>) and /version:
// what kubectl's RESTMapper and `kubectl api-resources` read. Plain (non-aggregated) discovery;
// kubectl falls back to it when the aggregated form is not offered.
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
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

function group(catalog: ResourceCatalog, name: string): Record<string, unknown> {
  const versions = catalog.groupVersions().filter((gv) => gv.group === name).map((gv) => ({ groupVersion: apiVersionOf(gv), version: gv.version }));
  return { name, versions, preferredVersion: versions[0] };
}

export function apiGroupList(catalog: ResourceCatalog): Record<string, unknown> {
  const names = [...new Set(catalog.groupVersions().map((gv) => gv.group).filter(Boolean))];
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: names.map((n) => group(catalog, n)) };
}

export function apiGroup(catalog: ResourceCatalog, name: string): Record<string, unknown> | undefined {
  if (!catalog.groupVersions().some((gv) => gv.group === name)) return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', ...group(catalog, name) };
}

function entries(r: ResourceInfo): Record<string, unknown>[] {
  const main: Record<string, unknown> = { name: r.plural, singularName: r.singular, namespaced: r.namespaced, kind: r.kind, verbs: r.verbs };
  if (r.shortNames.length) main.shortNames = r.shortNames;
  if (r.categories.length) main.categories = r.categories;
  const sub = (name: string, kind: string, verbs: string[], gv?: { group: string; version: string }) => ({ name: `${r.plural}/${name}`, singularName: '', namespaced: r.namespaced, ...(gv ?? {}), kind, verbs });
  const out = [main];
  if (r.status) out.push(sub('status', r.kind, ['get', 'patch', 'update']));
  if (r.scale) out.push(sub('scale', 'Scale', ['get', 'patch', 'update'], { group: 'autoscaling', version: 'v1' }));
  if (r.plural === 'pods') {
    out.push(sub('binding', 'Binding', ['create']));
    out.push(sub('log', 'Pod', ['get']));
  }
  if (r.plural === 'namespaces') out.push(sub('finalize', 'Namespace', ['update']));
  return out;
}

export function apiResourceList(catalog: ResourceCatalog, group: string, version: string): Record<string, unknown> | undefined {
  const rs = catalog.inGroupVersion(group, version);
  if (!rs.length) return undefined;
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersionOf({ group, version }), resources: rs.flatMap(entries) };
}
