// Server-side printers (pkg/printers/internalversion): the columns `kubectl get` shows for each
// kind, with priority 1 for the `-o wide` ones. Kinds without a printer get NAME and AGE. The
// workload kinds' printers are in workload-printers.ts, the policy kinds' in policy-printers.ts.
import type { KObject } from '../registry/object-store.js';
import { age, ageOf, col, nameCol, type Printer } from './columns.js';
import { humanDuration, orNone, since } from './human.js';
import { POLICY_PRINTERS } from './policy-printers.js';
import { WORKLOAD_PRINTERS } from './workload-printers.js';

function servicePorts(o: KObject): string {
  const ports: KObject[] = o.spec?.ports ?? [];
  if (!ports.length) return '<none>';
  return ports
    .map((p) => (p.nodePort ? `${p.port}:${p.nodePort}/${p.protocol ?? 'TCP'}` : `${p.port}/${p.protocol ?? 'TCP'}`))
    .join(',');
}

function externalIP(o: KObject): string {
  const spec = o.spec ?? {};
  const ext: string[] = spec.externalIPs ?? [];
  if (spec.type === 'ExternalName') return spec.externalName ?? '<none>';
  if (spec.type === 'LoadBalancer') {
    const ing = (o.status?.loadBalancer?.ingress ?? []).map((i: KObject) => i.ip || i.hostname);
    const all = [...ing, ...ext];
    return all.length ? all.join(',') : '<pending>';
  }
  return ext.length ? ext.join(',') : '<none>';
}

const services: Printer = {
  columns: [
    nameCol,
    col('Type'),
    col('Cluster-IP'),
    col('External-IP'),
    col('Port(s)'),
    age,
    col('Selector', 'string', 1),
  ],
  cells: (o, now) => [
    o.metadata?.name,
    o.spec?.type ?? 'ClusterIP',
    orNone(o.spec?.clusterIP),
    externalIP(o),
    servicePorts(o),
    ageOf(o, now),
    o.spec?.selector
      ? Object.entries(o.spec.selector)
          .map(([k, v]) => `${k}=${v}`)
          .join(',')
      : '<none>',
  ],
};

function endpointsText(o: KObject): string {
  const list: string[] = [];
  for (const s of o.subsets ?? []) {
    const ports: KObject[] = s.ports?.length ? s.ports : [{}];
    for (const a of s.addresses ?? [])
      for (const p of ports) list.push(p.port !== undefined ? `${a.ip}:${p.port}` : a.ip);
  }
  if (!list.length) return '<none>';
  return list.length > 3 ? `${list.slice(0, 3).join(',')} + ${list.length - 3} more...` : list.join(',');
}

const endpoints: Printer = {
  columns: [nameCol, col('Endpoints'), age],
  cells: (o, now) => [o.metadata?.name, endpointsText(o), ageOf(o, now)],
};

function nodeStatus(o: KObject): string {
  const ready = (o.status?.conditions ?? []).find((c: KObject) => c.type === 'Ready');
  const parts = [ready ? (ready.status === 'True' ? 'Ready' : 'NotReady') : 'Unknown'];
  if (o.spec?.unschedulable) parts.push('SchedulingDisabled');
  return parts.join(',');
}

const nodes: Printer = {
  columns: [
    nameCol,
    col('Status'),
    col('Roles'),
    age,
    col('Version'),
    col('Internal-IP', 'string', 1),
    col('External-IP', 'string', 1),
    col('OS-Image', 'string', 1),
    col('Kernel-Version', 'string', 1),
    col('Container-Runtime', 'string', 1),
  ],
  cells(o, now) {
    const roles = Object.keys(o.metadata?.labels ?? {})
      .filter((k) => k.startsWith('node-role.kubernetes.io/'))
      .map((k) => k.slice('node-role.kubernetes.io/'.length));
    const addr = (t: string) => orNone((o.status?.addresses ?? []).find((a: KObject) => a.type === t)?.address);
    const info = o.status?.nodeInfo ?? {};
    return [
      o.metadata?.name,
      nodeStatus(o),
      roles.length ? roles.join(',') : '<none>',
      ageOf(o, now),
      info.kubeletVersion ?? '',
      addr('InternalIP'),
      addr('ExternalIP'),
      orNone(info.osImage),
      orNone(info.kernelVersion),
      orNone(info.containerRuntimeVersion),
    ];
  },
};

const namespaces: Printer = {
  columns: [nameCol, col('Status'), age],
  cells: (o, now) => [o.metadata?.name, o.status?.phase ?? 'Active', ageOf(o, now)],
};

function eventTime(o: KObject, which: 'last' | 'first'): string | undefined {
  if (which === 'last')
    return o.series?.lastObservedTime ?? o.lastTimestamp ?? o.eventTime ?? o.metadata?.creationTimestamp;
  return o.firstTimestamp ?? o.eventTime ?? o.metadata?.creationTimestamp;
}

const events: Printer = {
  columns: [
    col('Last Seen'),
    col('Type'),
    col('Reason'),
    col('Object'),
    col('Subobject', 'string', 1),
    col('Source', 'string', 1),
    col('Message'),
    col('First Seen', 'string', 1),
    col('Count', 'string', 1),
    { ...nameCol, priority: 1 },
  ],
  cells(o, now) {
    const io = o.involvedObject ?? {};
    const source = o.source?.component
      ? [o.source.component, o.source.host].filter(Boolean).join(', ')
      : (o.reportingComponent ?? '');
    return [
      since(now, eventTime(o, 'last')),
      o.type ?? '',
      o.reason ?? '',
      `${String(io.kind ?? '').toLowerCase()}/${io.name ?? ''}`,
      io.fieldPath ?? '',
      source,
      o.message ?? '',
      since(now, eventTime(o, 'first')),
      String(o.series?.count ?? o.count ?? 1),
      o.metadata?.name,
    ];
  },
};

const configmaps: Printer = {
  columns: [nameCol, col('Data', 'integer'), age],
  cells: (o, now) => [
    o.metadata?.name,
    Object.keys(o.data ?? {}).length + Object.keys(o.binaryData ?? {}).length,
    ageOf(o, now),
  ],
};

const secrets: Printer = {
  columns: [nameCol, col('Type'), col('Data', 'integer'), age],
  cells: (o, now) => [o.metadata?.name, o.type ?? 'Opaque', Object.keys(o.data ?? {}).length, ageOf(o, now)],
};

const serviceaccounts: Printer = {
  columns: [nameCol, col('Secrets', 'integer'), age],
  cells: (o, now) => [o.metadata?.name, (o.secrets ?? []).length, ageOf(o, now)],
};

// kubectl's CSR columns: conditions in order, Issued once a certificate is there, else Pending.
const csrs: Printer = {
  columns: [nameCol, age, col('SignerName'), col('Requestor'), col('RequestedDuration'), col('Condition')],
  cells: (o, now) => {
    const conds = ((o.status?.conditions ?? []) as { type: string }[]).map((c) => c.type);
    if (o.status?.certificate) conds.push('Issued');
    const secs = o.spec?.expirationSeconds;
    return [
      o.metadata?.name,
      ageOf(o, now),
      o.spec?.signerName ?? '',
      o.spec?.username ?? '',
      typeof secs === 'number' ? humanDuration(secs * 1000) : '<none>',
      conds.length ? conds.join(',') : 'Pending',
    ];
  },
};

const leases: Printer = {
  columns: [nameCol, col('Holder'), age],
  cells: (o, now) => [o.metadata?.name, o.spec?.holderIdentity ?? '', ageOf(o, now)],
};

const pvcs: Printer = {
  columns: [nameCol, col('Status'), col('Volume'), col('Capacity'), col('Access Modes'), col('StorageClass'), age],
  cells: (o, now) => [
    o.metadata?.name,
    o.status?.phase ?? '',
    o.spec?.volumeName ?? '',
    o.status?.capacity?.storage ?? '',
    accessModes(o.status?.accessModes ?? o.spec?.accessModes),
    o.spec?.storageClassName ?? '',
    ageOf(o, now),
  ],
};

const pvs: Printer = {
  columns: [
    nameCol,
    col('Capacity'),
    col('Access Modes'),
    col('Reclaim Policy'),
    col('Status'),
    col('Claim'),
    col('StorageClass'),
    age,
  ],
  cells: (o, now) => [
    o.metadata?.name,
    o.spec?.capacity?.storage ?? '',
    accessModes(o.spec?.accessModes),
    o.spec?.persistentVolumeReclaimPolicy ?? '',
    o.status?.phase ?? '',
    o.spec?.claimRef ? `${o.spec.claimRef.namespace}/${o.spec.claimRef.name}` : '',
    o.spec?.storageClassName ?? '',
    ageOf(o, now),
  ],
};

function accessModes(modes: string[] | undefined): string {
  const short: Record<string, string> = {
    ReadWriteOnce: 'RWO',
    ReadOnlyMany: 'ROX',
    ReadWriteMany: 'RWX',
    ReadWriteOncePod: 'RWOP',
  };
  return (modes ?? []).map((m) => short[m] ?? m).join(',');
}

const generic: Printer = {
  columns: [nameCol, age],
  cells: (o, now) => [o.metadata?.name, ageOf(o, now)],
};

const PRINTERS: Record<string, Printer> = {
  services,
  endpoints,
  nodes,
  namespaces,
  events,
  configmaps,
  secrets,
  serviceaccounts,
  certificatesigningrequests: csrs,
  leases,
  persistentvolumeclaims: pvcs,
  persistentvolumes: pvs,
};

export function printerFor(plural: string): Printer {
  return PRINTERS[plural] ?? WORKLOAD_PRINTERS[plural] ?? POLICY_PRINTERS[plural] ?? generic;
}
