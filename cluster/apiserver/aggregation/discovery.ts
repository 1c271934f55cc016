// What aggregated group-versions add to discovery: their groups in /apis (plain and aggregated,
// the latter with the backend's resources as its last discovery check saw them).
import type { KObject } from '../registry/object-store.js';
import type { RemoteGroupVersion } from './api-services.js';

export function remoteGroups(remotes: RemoteGroupVersion[]): KObject[] {
  const byGroup = new Map<string, RemoteGroupVersion[]>();
  for (const r of remotes) byGroup.set(r.group, [...(byGroup.get(r.group) ?? []), r]);
  return [...byGroup].map(([name, rs]) => {
    const versions = rs
      .sort((a, b) => b.versionPriority - a.versionPriority)
      .map((r) => ({ groupVersion: `${r.group}/${r.version}`, version: r.version }));
    return { name, versions, preferredVersion: versions[0] };
  });
}

export function remoteDiscoveryItems(remotes: RemoteGroupVersion[]): KObject[] {
  const byGroup = new Map<string, RemoteGroupVersion[]>();
  for (const r of remotes) byGroup.set(r.group, [...(byGroup.get(r.group) ?? []), r]);
  return [...byGroup].map(([name, rs]) => ({
    metadata: { name, creationTimestamp: null },
    versions: rs
      .sort((a, b) => b.versionPriority - a.versionPriority)
      .map((r) => ({
        version: r.version,
        resources: ((r.resources?.resources ?? []) as KObject[])
          .filter((x) => !String(x.name).includes('/'))
          .map((x) => {
            const subs = ((r.resources?.resources ?? []) as KObject[]).filter((s) =>
              String(s.name).startsWith(`${x.name}/`),
            );
            return {
              resource: x.name,
              responseKind: { group: x.group ?? r.group, version: x.version ?? r.version, kind: x.kind },
              scope: x.namespaced ? 'Namespaced' : 'Cluster',
              singularResource: x.singularName ?? '',
              verbs: x.verbs ?? [],
              ...(x.shortNames?.length ? { shortNames: x.shortNames } : {}),
              ...(x.categories?.length ? { categories: x.categories } : {}),
              ...(subs.length
                ? {
                    subresources: subs.map((s) => ({
                      subresource: String(s.name).split('/')[1],
                      responseKind: { group: s.group ?? r.group, version: s.version ?? r.version, kind: s.kind },
                      verbs: s.verbs ?? [],
                    })),
                  }
                : {}),
            };
          }),
        freshness: r.available && r.resources ? 'Current' : 'Stale',
      })),
  }));
}
