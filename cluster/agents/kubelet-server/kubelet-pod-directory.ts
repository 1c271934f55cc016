// The kubelet server's view of its kubelet: the pods it runs and their processes (from the pod
// workers' runtime records), the containers' log files and the targets of the resource figures.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Pod } from '../../../common/api-types.js';
import type { PodRecord } from '../../../runtime/lab/lab-state.js';
import type { ImageService } from '../../../runtime/images/image-service.js';
import type { PodDirectory, RunningContainer } from './kubelet-server.js';
import type { StatsTarget } from './node-stats.js';
import type { EphemeralContainers } from './ephemeral-containers.js';

export interface KubeletPods {
  runningPods(): { pod: Pod; record: PodRecord | undefined; startTime: number }[];
  /** The node's images (ephemeral containers are made from theirs). */
  readonly images?: ImageService;
}

export class KubeletPodDirectory implements PodDirectory {
  constructor(
    private readonly kubelet: KubeletPods,
    /** The pod's CRI log folder (<container>/<restart>.log inside). */
    private readonly podLogDir: (pod: Pod) => string,
    private readonly alive: (pid: number, startTime: number) => boolean,
    private readonly ephemeral?: EphemeralContainers,
  ) {}

  pods(): Pod[] {
    return this.kubelet.runningPods().map((p) => p.pod);
  }

  private find(namespace: string, name: string) {
    return this.kubelet
      .runningPods()
      .find((p) => p.pod.metadata.namespace === namespace && p.pod.metadata.name === name);
  }

  sandboxPid(namespace: string, pod: string): number | undefined {
    return this.find(namespace, pod)?.record?.sandbox?.pid;
  }

  container(namespace: string, pod: string, container: string): RunningContainer | undefined {
    const p = this.find(namespace, pod);
    if (!p?.record) return undefined;
    const eph = this.ephemeral?.get(namespace, pod, container);
    if (eph) return eph;
    const spec = p.pod.spec.containers.find((c) => c.name === container);
    if (!spec) return undefined;
    const proc = p.record.containers[container];
    const dir = join(this.podLogDir(p.pod), container);
    const runs = criLogRuns(dir);
    return {
      pid: proc?.pid ?? 0,
      ...(p.record.containerIds?.[container] ? { containerId: p.record.containerIds[container] } : {}),
      env: (spec.env ?? []).filter((e) => e.value !== undefined).map((e) => ({ name: e.name, value: e.value! })),
      hostname: pod,
      logFile: join(dir, runs[runs.length - 1] ?? '0.log'),
      previousLogFile: join(dir, runs[runs.length - 2] ?? 'none.log'),
      alive: () => !!proc && this.alive(proc.pid, proc.startTime),
    };
  }

  statsTargets(): StatsTarget[] {
    return this.kubelet
      .runningPods()
      .filter((p) => p.record?.sandbox)
      .map((p) => ({
        namespace: p.pod.metadata.namespace ?? 'default',
        pod: p.pod.metadata.name!,
        uid: p.pod.metadata.uid ?? '',
        startTime: p.startTime,
        sandboxPid: p.record!.sandbox!.pid,
        containers: Object.entries(p.record!.containers).map(([name, c]) => ({
          name,
          pid: c.pid,
          startTime: p.startTime,
        })),
      }));
  }
}

/** The CRI log files of a container, oldest run first (0.log, 1.log, …). */
function criLogRuns(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => /^\d+\.log$/.test(f))
      .sort((a, b) => parseInt(a) - parseInt(b));
  } catch {
    return [];
  }
}
