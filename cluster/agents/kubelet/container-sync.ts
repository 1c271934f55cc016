// One pod worker's step (kubelet's SyncPod): sandbox first — if its pause died, everything is
// rebuilt, as the article shows — then every container that should run and does not, honouring
// restartPolicy and the crash-loop back-off (10 s doubling to 5 min, the first restart at once),
// then probes. Also graceful termination: SIGTERM, the grace period, SIGKILL.
import { readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Container, Pod } from '../../../common/api-types.js';
import type { ContainerSpec } from '../../../common/topology/types.js';
import type { HostDriver } from '../../../runtime/host/host-driver.js';
import type { PodRecord, ProcessRecord } from '../../../runtime/lab/lab-state.js';
import type { ImageResolver } from '../../../runtime/pod/images.js';
import type { PodRuntime } from '../../../runtime/pod/pod-runtime.js';
import type { Clock } from '../../client/clock.js';
import type { EventRecorder } from '../../client/event-recorder.js';
import type { ContainerRuntimeState, PodRuntimeView } from './pod-status.js';
import { ProbeState, runProbe } from './probes.js';

export interface ContainerState extends ContainerRuntimeState {
  backoffMs: number;
  nextStart: number;
  startedOnce: boolean;
  liveness?: ProbeState;
  readiness?: ProbeState;
  probing?: boolean;
  /** Set when the kubelet itself stopped it (liveness), so the exit is known. */
  killedBy?: string;
}

export interface PodWorker {
  key: string;
  namespace: string;
  name: string;
  uid: string;
  pod?: Pod;
  /** A static pod's object (from the topology or manifest folder). */
  static?: Pod;
  fromTopology?: boolean;
  /** A changed manifest: started once this one is gone. */
  successorStatic?: Pod;
  mirror?: Pod;
  /** The same name recreated with a new uid: handled once this one is gone. */
  successor?: Pod;
  gone?: boolean;
  record?: PodRecord;
  containers: Map<string, ContainerState>;
  restartCounts: Record<string, number>;
  startTime: number;
  dirty: boolean;
  running?: Promise<void>;
  retryAt?: number;
  wakeAt?: number;
  lastPosted?: string;
  /** This kubelet wrote the sandbox's resolv.conf (cluster DNS). */
  resolvWritten?: boolean;
}

export interface ContainerSyncDeps {
  driver: HostDriver;
  runtime: PodRuntime;
  images: ImageResolver;
  clock: Clock;
  events: EventRecorder;
  node: { name: string; address: string; netns: string; cniConf: string };
  podNetns(namespace: string, name: string): string;
  podLogDir(netns: string): string;
  /** The resolver written by the runtime before resolvConf replaces it (the Internet's). */
  nameserver: string;
  resolvConf(namespace: string): string | undefined;
  containerId(w: PodWorker): string;
  enqueue(w: PodWorker): void;
}

const BACKOFF_START_MS = 10_000;
const BACKOFF_MAX_MS = 300_000;
/** Records the exit status of a container whose pod may not restart it (Job pods need it). */
const EXIT_RECORDER = '"$@"; rc=$?; printf %s "$rc" > "$0"; exit "$rc"';

export class ContainerSync {
  constructor(private readonly d: ContainerSyncDeps) {}

  view(w: PodWorker, pod: Pod): PodRuntimeView {
    return {
      ...(w.record?.ip ? { podIP: w.record.ip } : {}),
      hostIP: this.d.node.address,
      startTime: w.startTime,
      restartPolicy: pod.spec.restartPolicy ?? 'Always',
      containers: pod.spec.containers.map((c) => this.state(w, c)),
    };
  }

  /** True when something recorded no longer runs, or a restart is due. */
  async needsSync(w: PodWorker): Promise<boolean> {
    const rec = w.record;
    if (!rec?.sandbox) return !!w.pod && !this.finished(w);
    const procs = [rec.sandbox, ...Object.values(rec.containers)];
    const alive = await this.d.driver.alive(procs);
    return alive.some((a) => !a);
  }

  /** Makes the pod's sandbox and containers run; true when the record changed. */
  async syncContainers(w: PodWorker, pod: Pod): Promise<boolean> {
    if (this.finished(w)) return false;
    let changed = false;
    const netns = this.d.podNetns(w.namespace, w.name);
    const logDir = this.d.podLogDir(netns);
    const sandboxAlive = !!w.record?.sandbox && (await this.d.driver.alive([w.record.sandbox]))[0]!;
    if (!sandboxAlive) {
      const rebuilt = !!w.record?.sandbox;
      if (rebuilt) {
        this.d.events.normal(pod, 'SandboxChanged', 'Pod sandbox changed, it will be killed and re-created.');
        await this.d.runtime.stopSandbox(w.record!);
        for (const cs of w.containers.values()) this.exited(cs, { exitCode: 137, reason: 'Error' }, true);
      }
      const ann = pod.metadata.annotations ?? {};
      w.record = await this.d.runtime.runSandbox(
        {
          namespace: w.namespace,
          name: w.name,
          node: this.d.node.name,
          nodeNetns: this.d.node.netns,
          netns,
          cniConf: this.d.node.cniConf,
          containerId: w.record?.containerId ?? this.d.containerId(w),
          ...(ann['kubewire.io/ip'] ? { ip: ann['kubewire.io/ip'] } : {}),
          ...(ann['kubewire.io/mac'] ? { mac: ann['kubewire.io/mac'] } : {}),
          nameserver: this.d.nameserver,
          logDir,
        },
        w.record,
      );
      w.resolvWritten = false;
      changed = true;
    }
    if (!w.resolvWritten) {
      // Also for a sandbox made before this kubelet ran (the topology's pods, built by up).
      const resolv = this.d.resolvConf(w.namespace);
      if (resolv) await this.d.driver.writeFile(`/etc/netns/${netns}/resolv.conf`, resolv);
      w.resolvWritten = true;
    }
    const rec = w.record!;
    const now = this.d.clock.now();
    const policy = pod.spec.restartPolicy ?? 'Always';
    for (const c of pod.spec.containers) {
      const cs = this.state(w, c);
      const proc = rec.containers[c.name];
      if (proc && (await this.d.driver.alive([proc]))[0]) continue;
      if (proc) {
        delete rec.containers[c.name];
        changed = true;
        this.exited(cs, await this.exitOf(cs, logDir, c.name), false);
      }
      if (cs.startedOnce && cs.runningSince === undefined && !this.shouldRestart(policy, cs)) {
        cs.terminated = cs.lastTerminated;
        continue;
      }
      if (now < cs.nextStart) {
        cs.waiting = { reason: 'CrashLoopBackOff', message: `back-off ${Math.round(cs.backoffMs / 1000)}s restarting failed container=${c.name} pod=${w.name}_${w.namespace}(${w.uid})` };
        w.wakeAt = Math.min(w.wakeAt ?? Infinity, cs.nextStart);
        continue;
      }
      await this.startContainer(w, pod, c, cs, rec, logDir, policy);
      changed = true;
    }
    return changed;
  }

  /** Starts probes that are due (each runs on its own; a result re-syncs the worker). */
  runProbes(w: PodWorker, pod: Pod): void {
    const rec = w.record;
    if (!rec?.sandbox || !rec.ip) return;
    const now = this.d.clock.now();
    for (const c of pod.spec.containers) {
      const cs = w.containers.get(c.name);
      if (!cs || cs.runningSince === undefined || cs.probing) continue;
      for (const kind of ['readiness', 'liveness'] as const) {
        const probe = kind === 'readiness' ? c.readinessProbe : c.livenessProbe;
        const st = cs[kind];
        if (!probe || !st) continue;
        if (now - cs.runningSince < (probe.initialDelaySeconds ?? 0) * 1000) continue;
        if (now - st.lastRun < (probe.periodSeconds ?? 10) * 1000) continue;
        st.lastRun = now;
        cs.probing = true;
        const target = { nodeNetns: this.d.node.netns, podNetns: rec.netns, podIP: rec.ip, sandboxPid: rec.sandbox.pid };
        void runProbe(this.d.driver, probe, c, target).then(async (ok) => {
          cs.probing = false;
          const before = st.ok;
          const verdict = st.record(probe, ok);
          if (!ok) this.d.events.warning(pod, 'Unhealthy', `${kind === 'readiness' ? 'Readiness' : 'Liveness'} probe failed`);
          if (kind === 'readiness' && verdict !== before) {
            cs.ready = verdict;
            this.d.enqueue(w);
          }
          if (kind === 'liveness' && !verdict && before) {
            this.d.events.normal(pod, 'Killing', `Container ${c.name} failed liveness probe, will be restarted`);
            const proc = rec.containers[c.name];
            if (proc) {
              cs.killedBy = 'liveness';
              await this.stopGracefully([proc], pod.spec.terminationGracePeriodSeconds ?? 30);
            }
            this.d.enqueue(w);
          }
        });
      }
    }
  }

  /** SIGTERM to every container, SIGKILL after the grace period, then pause. */
  async killPod(w: PodWorker, pod: Pod | undefined, graceSeconds: number): Promise<void> {
    const rec = w.record!;
    for (const name of Object.keys(rec.containers)) if (pod) this.d.events.normal(pod, 'Killing', `Stopping container ${name}`);
    await this.stopGracefully(Object.values(rec.containers), graceSeconds);
    rec.containers = {};
  }

  private async stopGracefully(procs: ProcessRecord[], graceSeconds: number): Promise<void> {
    const alive = await this.d.driver.alive(procs);
    const live = procs.filter((_, i) => alive[i]);
    for (const p of live) {
      try {
        process.kill(p.pid, 'SIGTERM');
      } catch {
        /* gone meanwhile */
      }
    }
    const deadline = this.d.clock.now() + graceSeconds * 1000;
    while (this.d.clock.now() < deadline) {
      if (!(await this.d.driver.alive(live)).some(Boolean)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    await this.d.runtime.stopProcesses(live); // whatever ignored SIGTERM: SIGKILL (after ~1 s more)
  }

  private async startContainer(w: PodWorker, pod: Pod, c: Container, cs: ContainerState, rec: PodRecord, logDir: string, policy: string): Promise<void> {
    const spec: ContainerSpec = {
      name: c.name,
      image: c.image ?? '',
      ...(c.command ? { command: c.command } : {}),
      ...(c.args ? { args: c.args } : {}),
      env: (c.env ?? []).filter((e) => e.value !== undefined).map((e) => ({ name: e.name, value: e.value! })),
    };
    let argv: string[];
    try {
      argv = this.d.images.argv(spec);
    } catch (err) {
      cs.waiting = { reason: 'ErrImagePull', message: (err as Error).message };
      this.d.events.warning(pod, 'Failed', `Failed to pull image "${c.image}": ${(err as Error).message}`);
      return;
    }
    if (!cs.startedOnce) this.d.events.normal(pod, 'Pulled', `Container image "${c.image}" already present on machine`);
    const exitFile = join(logDir, `${c.name}.exit`);
    await rm(exitFile, { force: true });
    const run: ContainerSpec = policy === 'Always' ? spec : { ...spec, command: ['bash', '-c', EXIT_RECORDER, exitFile, ...argv], args: [] };
    if (cs.startedOnce) {
      cs.restartCount++;
      // `kubectl logs --previous` reads the run before this one (kubelet keeps one previous log).
      await rename(join(logDir, `${c.name}.log`), join(logDir, `${c.name}.previous.log`)).catch(() => undefined);
    }
    this.d.events.normal(pod, 'Created', `Created container ${c.name}`);
    const proc = await this.d.runtime.startContainer(rec, run, logDir);
    this.d.events.normal(pod, 'Started', `Started container ${c.name}`);
    cs.startedOnce = true;
    cs.runningSince = this.d.clock.now();
    cs.containerID = `${rec.containerId.slice(0, 12)}${proc.pid.toString(16)}${proc.startTime.toString(16)}`.slice(0, 64);
    cs.waiting = undefined;
    cs.terminated = undefined;
    cs.killedBy = undefined;
    cs.ready = !c.readinessProbe;
    cs.readiness = c.readinessProbe ? new ProbeState(false) : undefined;
    cs.liveness = c.livenessProbe ? new ProbeState(true) : undefined;
    w.restartCounts[c.name] = cs.restartCount;
  }

  private state(w: PodWorker, c: Container): ContainerState {
    let cs = w.containers.get(c.name);
    if (!cs) {
      const proc = w.record?.containers[c.name];
      cs = {
        name: c.name,
        image: c.image ?? '',
        restartCount: w.restartCounts[c.name] ?? 0,
        ready: !!proc && !c.readinessProbe,
        backoffMs: 0,
        nextStart: 0,
        startedOnce: !!proc || (w.restartCounts[c.name] ?? 0) > 0,
        ...(proc ? { runningSince: this.d.clock.now(), containerID: `${w.record!.containerId.slice(0, 12)}${proc.pid.toString(16)}` } : { waiting: { reason: 'ContainerCreating' } }),
      };
      if (proc) {
        cs.readiness = c.readinessProbe ? new ProbeState(false) : undefined;
        cs.liveness = c.livenessProbe ? new ProbeState(true) : undefined;
      }
      w.containers.set(c.name, cs);
    }
    return cs;
  }

  private exited(cs: ContainerState, exit: { exitCode: number; reason: string; message?: string }, sandboxGone: boolean): void {
    if (cs.runningSince === undefined) return;
    const now = this.d.clock.now();
    cs.lastTerminated = { exitCode: exit.exitCode, reason: exit.reason, startedAt: cs.runningSince, finishedAt: now };
    cs.runningSince = undefined;
    cs.ready = false;
    // A crash loop backs off; a sandbox rebuild or the first crash restarts at once.
    cs.nextStart = sandboxGone || cs.backoffMs === 0 ? now : now + cs.backoffMs;
    cs.backoffMs = cs.backoffMs === 0 ? BACKOFF_START_MS : Math.min(cs.backoffMs * 2, BACKOFF_MAX_MS);
    if (sandboxGone) cs.backoffMs = 0;
  }

  /**
   * The exit status: from the recorder file (pods that may not restart), or known because the
   * kubelet killed it; otherwise it is not observable (the process is not the kubelet's child).
   */
  private async exitOf(cs: ContainerState, logDir: string, name: string): Promise<{ exitCode: number; reason: string }> {
    const text = await readFile(join(logDir, `${name}.exit`), 'utf8').catch(() => '');
    if (/^\d+$/.test(text.trim())) {
      const code = Number(text.trim());
      return { exitCode: code, reason: code === 0 ? 'Completed' : 'Error' };
    }
    if (cs.killedBy) return { exitCode: 143, reason: 'Error' };
    return { exitCode: 137, reason: 'Error' };
  }

  private shouldRestart(policy: string, cs: ContainerState): boolean {
    if (policy === 'Always') return true;
    if (policy === 'Never') return false;
    return (cs.lastTerminated?.exitCode ?? 1) !== 0;
  }

  /** A pod whose containers all ended and will not be restarted. */
  private finished(w: PodWorker): boolean {
    const pod = w.pod;
    if (!pod || (pod.spec.restartPolicy ?? 'Always') === 'Always') return false;
    return pod.spec.containers.every((c) => w.containers.get(c.name)?.terminated);
  }
}
