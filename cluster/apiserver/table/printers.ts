// Server-side printers (pkg/printers/internalversion): the columns `kubectl get` shows for each
// kind, with priority 1 for the `-o wide` ones. Kinds without a printer get NAME and AGE.
import type { KObject } from '../registry/object-store.js';
import { formatLabelSelector } from '../selectors/label-selector.js';
import { humanDuration, orNone, since } from './human.js';
import { POLICY_PRINTERS } from './policy-printers.js';

export interface Column {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  format: string;
  description: string;
  priority: number;
}

export interface Printer {
  columns: Column[];
  cells(obj: KObject, now: number): unknown[];
}

const col = (name: string, type: Column['type'] = 'string', priority = 0, format = ''): Column => ({
  name,
  type,
  format,
  description: name,
  priority,
});
const nameCol = col('Name', 'string', 0, 'name');
const age = col('Age');
const ageOf = (o: KObject, now: number) => since(now, o.metadata?.creationTimestamp);
const containersOf = (t: KObject | undefined) => (t?.spec?.containers ?? []).map((c: KObject) => c.name).join(',');
const imagesOf = (t: KObject | undefined) => (t?.spec?.containers ?? []).map((c: KObject) => c.image).join(',');

function podStatus(pod: KObject): {
  reason: string;
  ready: number;
  total: number;
  restarts: number;
  lastRestart?: number;
} {
  const st = pod.status ?? {};
  let reason: string = st.reason || st.phase || '';
  let restarts = 0;
  let lastRestart: number | undefined;
  let ready = 0;
  const total = (pod.spec?.containers ?? []).length;
  const noteRestart = (cs: KObject) => {
    restarts += cs.restartCount ?? 0;
    const t = cs.lastState?.terminated?.finishedAt;
    if (t && (!lastRestart || Date.parse(t) > lastRestart)) lastRestart = Date.parse(t);
  };
  let initializing = false;
  const inits: KObject[] = st.initContainerStatuses ?? [];
  inits.forEach((cs, i) => {
    noteRestart(cs);
    if (initializing) return;
    const term = cs.state?.terminated;
    const wait = cs.state?.waiting;
    if (term && term.exitCode === 0) return;
    initializing = true;
    if (term)
      reason = term.reason
        ? `Init:${term.reason}`
        : term.signal
          ? `Init:Signal:${term.signal}`
          : `Init:ExitCode:${term.exitCode}`;
    else if (wait?.reason && wait.reason !== 'PodInitializing') reason = `Init:${wait.reason}`;
    else reason = `Init:${i}/${(pod.spec?.initContainers ?? []).length}`;
  });
  if (!initializing) {
    let hasRunning = false;
    const statuses: KObject[] = [...(st.containerStatuses ?? [])].reverse();
    for (const cs of statuses) {
      noteRestart(cs);
      const wait = cs.state?.waiting;
      const term = cs.state?.terminated;
      if (wait?.reason) reason = wait.reason;
      else if (term?.reason) reason = term.reason;
      else if (term) reason = term.signal ? `Signal:${term.signal}` : `ExitCode:${term.exitCode}`;
      else if (cs.ready && cs.state?.running) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === 'Completed' && hasRunning) {
      const readyCond = (st.conditions ?? []).find((c: KObject) => c.type === 'Ready');
      reason = readyCond?.status === 'True' ? 'Running' : 'NotReady';
    }
  }
  if (pod.metadata?.deletionTimestamp) reason = st.reason === 'NodeLost' ? 'Unknown' : 'Terminating';
  return { reason, ready, total, restarts, lastRestart };
}

const pods: Printer = {
  columns: [
    nameCol,
    col('Ready'),
    col('Status'),
    col('Restarts'),
    age,
    col('IP', 'string', 1),
    col('Node', 'string', 1),
    col('Nominated Node', 'string', 1),
    col('Readiness Gates', 'string', 1),
  ],
  cells(o, now) {
    const s = podStatus(o);
    const restarts = s.lastRestart
      ? `${s.restarts} (${since(now, new Date(s.lastRestart).toISOString())} ago)`
      : String(s.restarts);
    const gates: KObject[] = o.spec?.readinessGates ?? [];
    const gateText = gates.length
      ? `${gates.filter((g) => (o.status?.conditions ?? []).some((c: KObject) => c.type === g.conditionType && c.status === 'True')).length}/${gates.length}`
      : '<none>';
    return [
      o.metadata?.name,
      `${s.ready}/${s.total}`,
      s.reason,
      restarts,
      ageOf(o, now),
      orNone(o.status?.podIP),
      orNone(o.spec?.nodeName),
      orNone(o.status?.nominatedNodeName),
      gateText,
    ];
  },
};

const deployments: Printer = {
  columns: [
    nameCol,
    col('Ready'),
    col('Up-to-date', 'integer'),
    col('Available', 'integer'),
    age,
    col('Containers', 'string', 1),
    col('Images', 'string', 1),
    col('Selector', 'string', 1),
  ],
  cells: (o, now) => [
    o.metadata?.name,
    `${o.status?.readyReplicas ?? 0}/${o.spec?.replicas ?? 0}`,
    o.status?.updatedReplicas ?? 0,
    o.status?.availableReplicas ?? 0,
    ageOf(o, now),
    containersOf(o.spec?.template),
    imagesOf(o.spec?.template),
    formatLabelSelector(o.spec?.selector),
  ],
};

const replicasets: Printer = {
  columns: [
    nameCol,
    col('Desired', 'integer'),
    col('Current', 'integer'),
    col('Ready', 'integer'),
    age,
    col('Containers', 'string', 1),
    col('Images', 'string', 1),
    col('Selector', 'string', 1),
  ],
  cells: (o, now) => [
    o.metadata?.name,
    o.spec?.replicas ?? 0,
    o.status?.replicas ?? 0,
    o.status?.readyReplicas ?? 0,
    ageOf(o, now),
    containersOf(o.spec?.template),
    imagesOf(o.spec?.template),
    o.kind === 'ReplicationController'
      ? Object.entries(o.spec?.selector ?? {})
          .map(([k, v]) => `${k}=${v}`)
          .join(',')
      : formatLabelSelector(o.spec?.selector),
  ],
};

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

const daemonsets: Printer = {
  columns: [
    nameCol,
    col('Desired', 'integer'),
    col('Current', 'integer'),
    col('Ready', 'integer'),
    col('Up-to-date', 'integer'),
    col('Available', 'integer'),
    col('Node Selector'),
    age,
    col('Containers', 'string', 1),
    col('Images', 'string', 1),
    col('Selector', 'string', 1),
  ],
  cells: (o, now) => {
    const s = o.status ?? {};
    const ns = o.spec?.template?.spec?.nodeSelector;
    return [
      o.metadata?.name,
      s.desiredNumberScheduled ?? 0,
      s.currentNumberScheduled ?? 0,
      s.numberReady ?? 0,
      s.updatedNumberScheduled ?? 0,
      s.numberAvailable ?? 0,
      ns
        ? Object.entries(ns)
            .map(([k, v]) => `${k}=${v}`)
            .join(',')
        : '<none>',
      ageOf(o, now),
      containersOf(o.spec?.template),
      imagesOf(o.spec?.template),
      formatLabelSelector(o.spec?.selector),
    ];
  },
};

const statefulsets: Printer = {
  columns: [nameCol, col('Ready'), age, col('Containers', 'string', 1), col('Images', 'string', 1)],
  cells: (o, now) => [
    o.metadata?.name,
    `${o.status?.readyReplicas ?? 0}/${o.spec?.replicas ?? 0}`,
    ageOf(o, now),
    containersOf(o.spec?.template),
    imagesOf(o.spec?.template),
  ],
};

const jobs: Printer = {
  columns: [
    nameCol,
    col('Status'),
    col('Completions'),
    col('Duration'),
    age,
    col('Containers', 'string', 1),
    col('Images', 'string', 1),
    col('Selector', 'string', 1),
  ],
  cells(o, now) {
    const s = o.status ?? {};
    const conds: KObject[] = s.conditions ?? [];
    const status = conds.some((c) => c.type === 'Complete' && c.status === 'True')
      ? 'Complete'
      : conds.some((c) => c.type === 'Failed' && c.status === 'True')
        ? 'Failed'
        : o.spec?.suspend
          ? 'Suspended'
          : 'Running';
    const duration = s.startTime ? since(s.completionTime ? Date.parse(s.completionTime) : now, s.startTime) : '';
    return [
      o.metadata?.name,
      status,
      `${s.succeeded ?? 0}/${o.spec?.completions ?? 1}`,
      duration,
      ageOf(o, now),
      containersOf(o.spec?.template),
      imagesOf(o.spec?.template),
      formatLabelSelector(o.spec?.selector),
    ];
  },
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
  pods,
  deployments,
  replicasets,
  replicationcontrollers: replicasets,
  services,
  endpoints,
  nodes,
  namespaces,
  events,
  configmaps,
  secrets,
  daemonsets,
  statefulsets,
  jobs,
  serviceaccounts,
  certificatesigningrequests: csrs,
  leases,
  persistentvolumeclaims: pvcs,
  persistentvolumes: pvs,
};

export function printerFor(plural: string): Printer {
  return PRINTERS[plural] ?? POLICY_PRINTERS[plural] ?? generic;
}
