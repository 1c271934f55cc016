// `kubewire status [--json]`: nodes, pods, links and processes of the running lab, its
// control-plane replicas when the topology runs them as processes (control-plane.json), and its
// etcd members (name, namespace, URLs, leader, healthy) when the store is etcd.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONTROL_PLANE_STATUS_FILE } from '../../cluster/agents/control-plane-replicas.js';
import {
  formatControlPlane,
  type ControlPlaneStatus,
  type ReplicaStatus,
} from '../../cluster/agents/control-plane-replicas.js';
import { etcdMembersStatus, formatEtcdMembers } from '../../runtime/lab/etcd-status.js';
import { labStatus, formatStatus } from '../../runtime/lab/lab-status.js';
import { loadState } from '../../runtime/lab/lab-state.js';
import { allPodRecords } from '../../runtime/lab/pod-records.js';
import { labCommandSpec, makeRuntime, parseLabOptions, resolveLabName } from './lab-context.js';

const STATUS = labCommandSpec({
  command: 'status',
  usage: `usage: kubewire status [--json]
  nodes, pods, links, agents of the running lab`,
});

export async function status(args: string[]): Promise<number> {
  const o = parseLabOptions(STATUS, args);
  const lab = resolveLabName(o);
  const { driver, paths } = makeRuntime(o, lab);
  const state = await loadState(paths.state);
  if (!state) {
    if (o.json) console.log(JSON.stringify({ lab, phase: 'absent' }));
    else console.log(`lab ${lab}: not built (no ${paths.state}); run \`kubewire up\``);
    return 1;
  }
  const [s, etcd] = await Promise.all([
    labStatus(driver, state, allPodRecords(paths, state)),
    etcdMembersStatus(driver, state),
  ]);
  const cp = readControlPlane(join(paths.dir, CONTROL_PLANE_STATUS_FILE));
  if (o.json)
    console.log(JSON.stringify({ ...s, ...(cp ? { controlPlane: cp } : {}), ...(etcd.length ? { etcd } : {}) }));
  else
    console.log(
      [
        formatStatus(s),
        ...(cp ? [formatControlPlane(cp, sameProcess)] : []),
        ...(etcd.length ? [formatEtcdMembers(etcd)] : []),
      ].join('\n\n'),
    );
  return 0;
}

function readControlPlane(path: string): ControlPlaneStatus | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as ControlPlaneStatus;
  } catch {
    return undefined; // none: the scheduler and controller manager run inside the cluster process
  }
}

/** The recorded replica is still that process (pid and kernel start time). */
function sameProcess(r: ReplicaStatus): boolean {
  try {
    const stat = readFileSync(`/proc/${r.pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]) === r.startTime;
  } catch {
    return false;
  }
}
