// The cluster tables (the `kubectl get` view): what the server pushes over the WebSocket and the
// call that returns one object as YAML. Merged into common/ui-contract.ts.
import { asObject, asString, onlyKeys } from './validate.js';

export const CLUSTER_KINDS = [
  'nodes',
  'pods',
  'deployments',
  'replicasets',
  'services',
  'endpoints',
  'events',
] as const;
export type ClusterKind = (typeof CLUSTER_KINDS)[number];

export interface ClusterRow {
  namespace?: string;
  name: string;
  /** One cell per column of its table, as kubectl prints them; AGE is computed from createdAt. */
  cells: string[];
  createdAt?: number;
}

export interface ClusterTable {
  kind: ClusterKind;
  columns: string[];
  rows: ClusterRow[];
}

export interface ClusterSnapshot {
  /** The apiserver this comes from, or why there is none. */
  server?: string;
  synced: boolean;
  error?: string;
  tables: ClusterTable[];
}

export interface ClusterCalls {
  'cluster.get': { request: { kind: ClusterKind; namespace?: string; name: string }; response: { yaml: string } };
}

const K8S_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

export const clusterRequestValidators: {
  [K in keyof ClusterCalls]: (v: unknown, where: string) => ClusterCalls[K]['request'];
} = {
  'cluster.get': (v, where) => {
    const o = asObject(v, where);
    onlyKeys(o, where, ['kind', 'namespace', 'name']);
    const req: ClusterCalls['cluster.get']['request'] = {
      kind: asString(o.kind, `${where}.kind`, { pattern: new RegExp(`^(${CLUSTER_KINDS.join('|')})$`) }) as ClusterKind,
      name: asString(o.name, `${where}.name`, { pattern: K8S_NAME, max: 253 }),
    };
    if (o.namespace !== undefined)
      req.namespace = asString(o.namespace, `${where}.namespace`, { pattern: K8S_NAME, max: 63 });
    return req;
  },
};

/** kubectl's age format: 42s, 5m, 3h, 2d. */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s}s`;
  if (s < 3600 * 2) return `${Math.floor(s / 60)}m`;
  if (s < 86400 * 2) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}
