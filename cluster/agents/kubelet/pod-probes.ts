// The kubelet's prober for one pod: readiness and liveness probes of running containers, each
// when its initial delay and period say; a changed readiness re-syncs the pod's status, a failed
// liveness probe stops the container (the next sync restarts it, as its restartPolicy says).
import type { Pod } from '../../../common/api-types.js';
import type { RuntimeService } from '../../../runtime/cri/cri-types.js';
import type { HostDriver } from '../../../runtime/host/host-driver.js';
import type { Clock } from '../../client/clock.js';
import type { EventRecorder } from '../../client/event-recorder.js';
import type { PodWorker } from './pod-worker.js';
import { runProbe } from './probes.js';

export interface ProbeDeps {
  driver: HostDriver;
  cri: RuntimeService;
  clock: Clock;
  events: EventRecorder;
  node: { netns: string };
  enqueue(w: PodWorker): void;
}

/** Starts probes that are due (each runs on its own; a result re-syncs the worker). */
export function runDueProbes(d: ProbeDeps, w: PodWorker, pod: Pod): void {
  const rec = w.record;
  if (!rec?.sandbox || !rec.ip) return;
  const now = d.clock.now();
  for (const c of pod.spec.containers) {
    const cs = w.containers.get(c.name);
    const id = rec.containerIds?.[c.name];
    if (!cs || !id || cs.runningSince === undefined || cs.probing) continue;
    for (const kind of ['readiness', 'liveness'] as const) {
      const probe = kind === 'readiness' ? c.readinessProbe : c.livenessProbe;
      const st = cs[kind];
      if (!probe || !st) continue;
      if (now - cs.runningSince < (probe.initialDelaySeconds ?? 0) * 1000) continue;
      if (now - st.lastRun < (probe.periodSeconds ?? 10) * 1000) continue;
      st.lastRun = now;
      cs.probing = true;
      const target = {
        nodeNetns: d.node.netns,
        podIP: rec.ip,
        exec: async (cmd: string[], t: number) => (await d.cri.execSync(id, cmd, t)).exitCode,
      };
      void runProbe(d.driver, probe, c, target).then(async (ok) => {
        cs.probing = false;
        const before = st.ok;
        const verdict = st.record(probe, ok);
        if (!ok) d.events.warning(pod, 'Unhealthy', `${kind === 'readiness' ? 'Readiness' : 'Liveness'} probe failed`);
        if (kind === 'readiness' && verdict !== before) {
          cs.ready = verdict;
          d.enqueue(w);
        }
        if (kind === 'liveness' && !verdict && before) {
          d.events.normal(pod, 'Killing', `Container ${c.name} failed liveness probe, will be restarted`);
          await d.cri.stopContainer(id, pod.spec.terminationGracePeriodSeconds ?? 30).catch(() => undefined);
          d.enqueue(w);
        }
      });
    }
  }
}
