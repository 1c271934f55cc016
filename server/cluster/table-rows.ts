// Rows of the cluster tables from API objects, with kubectl get's columns (AGE is left to the
// renderer, from createdAt). Pure functions over the objects the informers cache.
import type {
  Deployment,
  Endpoints,
  Event,
  KubeObject,
  Node,
  Pod,
  ReplicaSet,
  Service,
} from '../../common/api-types.js';
import { formatAge, type ClusterKind, type ClusterRow, type ClusterTable } from '../../common/cluster-contract.js';

export const COLUMNS: Record<ClusterKind, string[]> = {
  nodes: ['NAME', 'STATUS', 'AGE', 'INTERNAL-IP', 'POD-CIDR'],
  pods: ['NAMESPACE', 'NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE'],
  deployments: ['NAMESPACE', 'NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE'],
  replicasets: ['NAMESPACE', 'NAME', 'DESIRED', 'CURRENT', 'READY', 'AGE'],
  services: ['NAMESPACE', 'NAME', 'TYPE', 'CLUSTER-IP', 'PORT(S)', 'AGE'],
  endpoints: ['NAMESPACE', 'NAME', 'ENDPOINTS', 'AGE'],
  events: ['NAMESPACE', 'LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE'],
};

const AGE = '';

function base(o: KubeObject): Omit<ClusterRow, 'cells'> {
  const row: Omit<ClusterRow, 'cells'> = { name: o.metadata.name ?? '' };
  if (o.metadata.namespace) row.namespace = o.metadata.namespace;
  const t = Date.parse(o.metadata.creationTimestamp ?? '');
  if (Number.isFinite(t)) row.createdAt = t;
  return row;
}

function nodeRow(n: Node): ClusterRow {
  const ready = n.status?.conditions?.find((c) => c.type === 'Ready');
  const status =
    (ready?.status === 'True' ? 'Ready' : 'NotReady') + (n.spec?.unschedulable ? ',SchedulingDisabled' : '');
  const ip = n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address ?? '<none>';
  return { ...base(n), cells: [n.metadata.name ?? '', status, AGE, ip, n.spec?.podCIDR ?? '<none>'] };
}

function podRow(p: Pod): ClusterRow {
  const cs = p.status?.containerStatuses ?? [];
  const total = p.spec.containers?.length ?? cs.length;
  const ready = cs.filter((c) => c.ready).length;
  const restarts = cs.reduce((a, c) => a + (c.restartCount ?? 0), 0);
  const waiting = cs.find((c) => c.state?.waiting?.reason)?.state?.waiting?.reason;
  const status = p.metadata.deletionTimestamp
    ? 'Terminating'
    : (waiting ?? p.status?.reason ?? p.status?.phase ?? 'Pending');
  return {
    ...base(p),
    cells: [
      p.metadata.namespace ?? '',
      p.metadata.name ?? '',
      `${ready}/${total}`,
      status,
      String(restarts),
      AGE,
      p.status?.podIP ?? '<none>',
      p.spec.nodeName ?? '<none>',
    ],
  };
}

function deploymentRow(d: Deployment): ClusterRow {
  const s = d.status ?? {};
  return {
    ...base(d),
    cells: [
      d.metadata.namespace ?? '',
      d.metadata.name ?? '',
      `${s.readyReplicas ?? 0}/${d.spec.replicas ?? 1}`,
      String(s.updatedReplicas ?? 0),
      String(s.availableReplicas ?? 0),
      AGE,
    ],
  };
}

function replicaSetRow(r: ReplicaSet): ClusterRow {
  return {
    ...base(r),
    cells: [
      r.metadata.namespace ?? '',
      r.metadata.name ?? '',
      String(r.spec.replicas ?? 1),
      String(r.status?.replicas ?? 0),
      String(r.status?.readyReplicas ?? 0),
      AGE,
    ],
  };
}

function serviceRow(s: Service): ClusterRow {
  const ports =
    (s.spec.ports ?? [])
      .map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`)
      .join(',') || '<none>';
  return {
    ...base(s),
    cells: [
      s.metadata.namespace ?? '',
      s.metadata.name ?? '',
      s.spec.type ?? 'ClusterIP',
      s.spec.clusterIP ?? '<none>',
      ports,
      AGE,
    ],
  };
}

function endpointsRow(e: Endpoints): ClusterRow {
  const eps = (e.subsets ?? []).flatMap((s) =>
    (s.addresses ?? []).flatMap((a) => (s.ports?.length ? s.ports.map((p) => `${a.ip}:${p.port}`) : [a.ip])),
  );
  const shown = eps.length > 3 ? `${eps.slice(0, 3).join(',')} + ${eps.length - 3} more...` : eps.join(',') || '<none>';
  return { ...base(e), cells: [e.metadata.namespace ?? '', e.metadata.name ?? '', shown, AGE] };
}

function eventRow(e: Event, now: number): ClusterRow {
  const last = Date.parse(e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp ?? '');
  const seen = Number.isFinite(last) ? formatAge(now - last) : '<unknown>';
  const obj = `${(e.involvedObject.kind ?? '').toLowerCase()}/${e.involvedObject.name ?? ''}`;
  return { ...base(e), cells: [e.metadata.namespace ?? '', seen, e.type ?? '', e.reason ?? '', obj, e.message ?? ''] };
}

export function clusterTable(kind: ClusterKind, objects: readonly KubeObject[], now: number): ClusterTable {
  const sorted = [...objects].sort((a, b) =>
    `${a.metadata.namespace ?? ''}/${a.metadata.name ?? ''}`.localeCompare(
      `${b.metadata.namespace ?? ''}/${b.metadata.name ?? ''}`,
    ),
  );
  const row = (o: KubeObject): ClusterRow => {
    switch (kind) {
      case 'nodes':
        return nodeRow(o as Node);
      case 'pods':
        return podRow(o as Pod);
      case 'deployments':
        return deploymentRow(o as Deployment);
      case 'replicasets':
        return replicaSetRow(o as ReplicaSet);
      case 'services':
        return serviceRow(o as Service);
      case 'endpoints':
        return endpointsRow(o as Endpoints);
      case 'events':
        return eventRow(o as Event, now);
    }
  };
  const rows = sorted.map(row);
  // Events: newest last, as `kubectl get events --sort-by=lastTimestamp` shows them.
  if (kind === 'events') rows.sort((a, b) => (a.createdAt ?? 0) - (b.createdAt ?? 0));
  return { kind, columns: COLUMNS[kind], rows };
}
