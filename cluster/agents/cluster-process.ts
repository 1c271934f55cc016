// The lab's cluster daemon as a process: `up` starts one detached `kubewire cluster` (logging to
// the lab's logs/cluster.log) and records it in state.json like any lab process, so `down` and
// `reset` stop it, even after a kill -9 of up (the daemon also exits once its lab's state is gone).
import { openSync, closeSync, readFileSync, existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { HostDriver } from '../../runtime/host/host-driver.js';
import { readStartTime } from '../../runtime/host/netns-driver.js';
import { spawnWithFds } from '../../runtime/host/spawn.js';
import type { LabPaths } from '../../runtime/lab/lab-paths.js';
import { loadState, saveState, type ProcessRecord } from '../../runtime/lab/lab-state.js';
import { KubewireError } from '../../common/errors.js';
import type { SavedPod } from './kubelet/kubelet-records.js';

export const CLUSTER_PROCESS = 'cluster';

export class ClusterStartError extends KubewireError {}

export interface ClusterInfo {
  pid: number;
  url: string;
  kubeconfig: string;
}

export function clusterInfoPath(paths: LabPaths): string {
  return join(paths.dir, 'cluster.json');
}

export function readClusterInfo(paths: LabPaths): ClusterInfo | undefined {
  try {
    return JSON.parse(readFileSync(clusterInfoPath(paths), 'utf8')) as ClusterInfo;
  } catch {
    return undefined;
  }
}

/**
 * Starts the daemon unless the recorded one runs; resolves once its apiserver and agents are up.
 * With `labExec` (native-scripts/lab-exec.sh) it starts inside the lab's cgroup, so it and every
 * process it starts carry the lab's mark: a reset ends them even after a kill -9 of this daemon.
 */
export async function ensureClusterProcess(
  paths: LabPaths,
  driver: HostDriver,
  argv: string[],
  opts: { timeoutMs?: number; limitMs?: number; labExec?: string } = {},
): Promise<ClusterInfo> {
  // A start that still makes progress (its log grows: nodes registered, subnets leased) is given
  // time on a loaded machine; one silent for timeoutMs is stuck. limitMs bounds the whole wait.
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const limitMs = opts.limitMs ?? 600_000;
  const state = await loadState(paths.state);
  if (!state) throw new ClusterStartError(`lab ${paths.lab} has no state`);
  const existing = state.processes[CLUSTER_PROCESS];
  if (existing && (await driver.alive([existing]))[0]) {
    const info = readClusterInfo(paths);
    if (info?.pid === existing.pid) return info;
  }
  const log = join(paths.logs, 'cluster.log');
  const fd = openSync(log, 'a');
  const full = opts.labExec ? [opts.labExec, state.prefix, 'cluster', '--', ...argv] : argv;
  // Detached (its own session and process group: it outlives this process), logging to the lab's log.
  const child = spawnWithFds(full[0]!, full.slice(1), { detached: true, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  child.unref();
  const pid = child.pid;
  if (pid === undefined) {
    // A failed start ('error' had no listener before: it ended `up` with an uncaught exception).
    const err = await new Promise<Error>((r) => child.once('error', r));
    throw new ClusterStartError(`the cluster process could not be started (${full[0]}): ${err.message}`);
  }
  const startTime = await readStartTime(pid);
  if (startTime === undefined) throw new ClusterStartError(`the cluster process exited at once (see ${log})`);
  const rec: ProcessRecord = { pid, startTime, netns: '-', argv, log };
  const fresh = (await loadState(paths.state))!;
  fresh.processes[CLUSTER_PROCESS] = rec;
  await saveState(paths.state, fresh);
  const started = Date.now();
  let quietSince = started;
  let logSize = logBytes(log);
  while (Date.now() - quietSince < timeoutMs && Date.now() - started < limitMs) {
    const info = readClusterInfo(paths);
    if (info?.pid === pid) return info;
    if ((await readStartTime(pid)) !== startTime) {
      const tail = readFileSync(log, 'utf8').trim().split('\n').slice(-3).join(' | ');
      throw new ClusterStartError(`the cluster process exited while starting: ${tail} (log: ${log})`);
    }
    const size = logBytes(log);
    if (size !== logSize) [logSize, quietSince] = [size, Date.now()];
    await new Promise((r) => setTimeout(r, 100));
  }
  const why =
    Date.now() - started >= limitMs
      ? `did not come up within ${limitMs / 1000} s`
      : `made no progress for ${timeoutMs / 1000} s (its log was silent)`;
  throw new ClusterStartError(`the cluster process ${why} (log: ${log})`);
}

function logBytes(log: string): number {
  try {
    return statSync(log).size;
  } catch {
    return 0;
  }
}

/** Stops the recorded daemon (SIGTERM, then SIGKILL); pods keep running. */
export async function stopClusterProcess(paths: LabPaths, driver: HostDriver): Promise<boolean> {
  const state = await loadState(paths.state);
  const rec = state?.processes[CLUSTER_PROCESS];
  if (!state || !rec) return false;
  await driver.script('proc-stop.sh', [`${rec.pid}:${rec.startTime}`]);
  const fresh = (await loadState(paths.state))!;
  delete fresh.processes[CLUSTER_PROCESS];
  await saveState(paths.state, fresh);
  return true;
}

/** The pods the kubelets started (not the topology's), from their records: for `down`. */
export function kubeletPodRecords(paths: LabPaths): SavedPod[] {
  const nodes = join(paths.dir, 'nodes');
  if (!existsSync(nodes)) return [];
  return readdirSync(nodes).flatMap((n) => {
    try {
      return Object.values(
        JSON.parse(readFileSync(join(nodes, n, 'kubelet', 'pods.json'), 'utf8')) as Record<string, SavedPod>,
      );
    } catch {
      return [];
    }
  });
}

/** Stops the kubelets' pods and removes their namespaces (records stay, so up rebuilds them). */
export async function downKubeletPods(paths: LabPaths, driver: HostDriver): Promise<number> {
  const pods = kubeletPodRecords(paths);
  if (!pods.length) return 0;
  const procs = pods.flatMap((p) => [
    ...Object.values(p.record.containers),
    ...(p.record.sandbox ? [p.record.sandbox] : []),
  ]);
  if (procs.length)
    await driver.script(
      'proc-stop.sh',
      procs.map((p) => `${p.pid}:${p.startTime}`),
    );
  await driver.script(
    'netns-down.sh',
    pods.map((p) => p.record.netns),
  );
  return pods.length;
}
