// Server-side printers of the workload kinds (pkg/printers/internalversion): Pod (its STATUS as
// kubectl computes it), Deployment, ReplicaSet and ReplicationController, DaemonSet, StatefulSet, Job.
import type { KObject } from '../registry/object-store.js';
import { formatLabelSelector } from '../selectors/label-selector.js';
import {
  age,
  ageOf,
  col,
  containersOf,
  imagesOf,
  nameCol,
  templateCells,
  templateColumns,
  type Printer,
} from './columns.js';
import { orNone, since } from './human.js';

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
  columns: [nameCol, col('Ready'), col('Up-to-date', 'integer'), col('Available', 'integer'), age, ...templateColumns],
  cells: (o, now) => [
    o.metadata?.name,
    `${o.status?.readyReplicas ?? 0}/${o.spec?.replicas ?? 0}`,
    o.status?.updatedReplicas ?? 0,
    o.status?.availableReplicas ?? 0,
    ageOf(o, now),
    ...templateCells(o),
  ],
};

const replicasets: Printer = {
  columns: [
    nameCol,
    col('Desired', 'integer'),
    col('Current', 'integer'),
    col('Ready', 'integer'),
    age,
    ...templateColumns,
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
    ...templateColumns,
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
      ...templateCells(o),
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
  columns: [nameCol, col('Status'), col('Completions'), col('Duration'), age, ...templateColumns],
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
      ...templateCells(o),
    ];
  },
};

export const WORKLOAD_PRINTERS: Record<string, Printer> = {
  pods,
  deployments,
  replicasets,
  replicationcontrollers: replicasets,
  daemonsets,
  statefulsets,
  jobs,
};
