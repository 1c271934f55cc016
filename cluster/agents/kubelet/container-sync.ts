// One pod worker's step (kubelet's SyncPod) through the CRI runtime: the sandbox first — network
// (CNI) then the pause container; if pause died, everything is rebuilt, as the article shows —
// then init containers one by one to completion, then every app container that should run and
// does not, honouring restartPolicy and the crash-loop back-off (10 s doubling to 5 min, the first
// restart at once). Exit codes and reasons (OOMKilled) are the runtime's. Graceful termination:
// preStop, TERM, the grace period, KILL.
import type { Container, Pod, Service } from '../../../common/api-types.js';
import { describeError } from '../../../common/errors.js';
import type { ContainerConfig, RuntimeService } from '../../../runtime/cri/cri-types.js';
import type { HostDriver } from '../../../runtime/host/host-driver.js';
import type { ImageService, ResolvedImage } from '../../../runtime/images/image-service.js';
import type { PodRecord } from '../../../runtime/lab/lab-state.js';
import type { PodNetwork } from '../../../runtime/pod/pod-network.js';
import type { Clock } from '../../client/clock.js';
import type { EventRecorder } from '../../client/event-recorder.js';
import type { ContainerEnv } from './container-env.js';
import { containerConfig, pullPolicy, runHook } from './container-spec.js';
import type { PodRuntimeView } from './pod-status.js';
import type { PodVolumes } from './pod-volumes.js';
import { ProbeState } from './probes.js';
import { runDueProbes } from './pod-probes.js';
import { runSandbox } from './pod-sandbox.js';
import {
  containerState,
  nextBackoff,
  podFinished,
  recordExit,
  shouldRestart,
  type ContainerState,
  type PodWorker,
} from './pod-worker.js';

export interface ContainerSyncDeps {
  driver: HostDriver;
  cri: RuntimeService & { resume?(): Promise<void> };
  network: PodNetwork;
  images: ImageService;
  volumes: PodVolumes;
  env: ContainerEnv;
  services(namespace: string): Service[];
  clock: Clock;
  events: EventRecorder;
  node: { name: string; address: string; netns: string; cniConf: string; dynamicCniConf?: string };
  podNetns(namespace: string, name: string): string;
  /** CRI's log_directory of a pod. */
  podLogDir(namespace: string, name: string, uid: string): string;
  nameserver: string;
  resolvConf(namespace: string): string | undefined;
  containerId(w: PodWorker): string;
  enqueue(w: PodWorker): void;
}

export class ContainerSync {
  constructor(private readonly d: ContainerSyncDeps) {}

  /** Starts probes that are due (each runs on its own; a result re-syncs the worker). */
  runProbes(w: PodWorker, pod: Pod): void {
    runDueProbes(this.d, w, pod);
  }

  view(w: PodWorker, pod: Pod): PodRuntimeView {
    return {
      ...(w.record?.ip ? { podIP: w.record.ip } : {}),
      hostIP: this.d.node.address,
      startTime: w.startTime,
      restartPolicy: pod.spec.restartPolicy ?? 'Always',
      containers: pod.spec.containers.map((c) => containerState(w, c, this.d.clock.now())),
      ...(pod.spec.initContainers?.length
        ? {
            initialized: !!w.initialized,
            initContainers: pod.spec.initContainers.map((c) => containerState(w, c, this.d.clock.now(), true)),
          }
        : {}),
      ...(w.failed ? { failed: true } : {}),
    };
  }

  /** True when something recorded no longer runs, a restart is due, or init containers are at work. */
  async needsSync(w: PodWorker): Promise<boolean> {
    const rec = w.record;
    if (!rec?.sandbox) return !!w.pod && !podFinished(w);
    if (w.pod?.spec.initContainers?.length && !w.initialized && !w.failed) return true;
    const alive = await this.d.driver.alive([rec.sandbox, ...Object.values(rec.containers)]);
    return alive.some((a) => !a);
  }

  /** Makes the pod's sandbox and containers run; true when the record changed. */
  async syncContainers(w: PodWorker, pod: Pod): Promise<boolean> {
    if (podFinished(w)) return false;
    let changed = false;
    const sandboxAlive = !!w.record?.sandbox && (await this.d.driver.alive([w.record.sandbox]))[0]!;
    if (!sandboxAlive) {
      await runSandbox(this.d, w, pod);
      changed = true;
    }
    const rec = w.record!;
    if (!w.initialized) {
      const r = await this.syncInit(w, pod, rec);
      if (!w.initialized) return changed || r;
    }
    const policy = pod.spec.restartPolicy ?? 'Always';
    for (const c of pod.spec.containers) changed = (await this.syncOne(w, pod, c, rec, policy, false)) || changed;
    return changed;
  }

  /** preStop hooks, then TERM to every container and KILL after the grace period. */
  async killPod(w: PodWorker, pod: Pod | undefined, graceSeconds: number): Promise<void> {
    const rec = w.record;
    if (!rec) return;
    const ids = Object.entries(rec.containerIds ?? {});
    const deadline = this.d.clock.now() + graceSeconds * 1000;
    await Promise.all(
      ids.map(async ([name, id]) => {
        const c = pod?.spec.containers.find((x) => x.name === name);
        if (pod && rec.containers[name]) this.d.events.normal(pod, 'Killing', `Stopping container ${name}`);
        if (c?.lifecycle?.preStop && graceSeconds > 0 && rec.containers[name]) {
          await runHook(this.d.cri, id, c.lifecycle.preStop, rec.ip, graceSeconds).catch(() => undefined);
        }
        const left = Math.max(0, Math.ceil((deadline - this.d.clock.now()) / 1000));
        await this.d.cri.stopContainer(id, left).catch(() => undefined);
      }),
    );
    rec.containers = {};
  }

  /** Removes the sandbox, its containers, its network (CNI DEL) and its volumes. */
  async removePod(w: PodWorker, pod: Pod | undefined): Promise<void> {
    const rec = w.record;
    if (!rec) return;
    if (rec.sandboxId) await this.d.cri.removePodSandbox(rec.sandboxId);
    await this.d.network.tearDown(rec, this.d.node.cniConf, this.d.node.netns, { releaseIp: true });
    if (pod) await this.d.volumes.tearDown(pod);
  }

  private async syncInit(w: PodWorker, pod: Pod, rec: PodRecord): Promise<boolean> {
    for (const c of pod.spec.initContainers ?? []) {
      const cs = containerState(w, c, this.d.clock.now(), true);
      const id = rec.containerIds?.[c.name];
      if (id) {
        const st = await this.d.cri.containerStatus(id);
        if (st?.state === 'CONTAINER_RUNNING' || st?.state === 'CONTAINER_CREATED') return false;
        if (st?.state === 'CONTAINER_EXITED') {
          const exit = {
            exitCode: st.exitCode ?? 1,
            reason: st.reason ?? 'Error',
            startedAt: st.startedAt,
            finishedAt: st.finishedAt ?? this.d.clock.now(),
          };
          cs.runningSince = undefined;
          if (exit.exitCode === 0) {
            cs.terminated = {
              exitCode: 0,
              reason: 'Completed',
              finishedAt: exit.finishedAt,
              ...(exit.startedAt ? { startedAt: exit.startedAt } : {}),
            };
            cs.ready = true;
            continue;
          }
          if ((pod.spec.restartPolicy ?? 'Always') === 'Never') {
            cs.terminated = { exitCode: exit.exitCode, reason: exit.reason, finishedAt: exit.finishedAt };
            w.failed = true;
            return true;
          }
          cs.lastTerminated = { exitCode: exit.exitCode, reason: exit.reason, finishedAt: exit.finishedAt };
          await this.d.cri.removeContainer(id);
          delete rec.containerIds![c.name];
          cs.nextStart = this.d.clock.now() + cs.backoffMs;
          cs.backoffMs = nextBackoff(cs.backoffMs);
        }
      }
      if (this.d.clock.now() < cs.nextStart) {
        cs.waiting = {
          reason: 'CrashLoopBackOff',
          message: `back-off restarting failed container=${c.name} pod=${w.name}_${w.namespace}(${w.uid})`,
        };
        w.wakeAt = Math.min(w.wakeAt ?? Infinity, cs.nextStart);
        return false;
      }
      await this.startContainer(w, pod, c, cs, rec, true);
      return true;
    }
    w.initialized = true;
    return true;
  }

  private async syncOne(
    w: PodWorker,
    pod: Pod,
    c: Container,
    rec: PodRecord,
    policy: string,
    _init: boolean,
  ): Promise<boolean> {
    const cs = containerState(w, c, this.d.clock.now());
    const proc = rec.containers[c.name];
    if (proc && (await this.d.driver.alive([proc]))[0]) return false;
    let changed = false;
    const id = rec.containerIds?.[c.name];
    if (id) {
      const st = await this.d.cri.containerStatus(id);
      if (st?.state === 'CONTAINER_RUNNING') return false;
      delete rec.containers[c.name];
      delete rec.containerIds![c.name];
      changed = true;
      recordExit(
        cs,
        {
          exitCode: st?.exitCode ?? 137,
          reason: st?.reason ?? 'Error',
          ...(st?.startedAt ? { startedAt: st.startedAt } : {}),
          ...(st?.finishedAt ? { finishedAt: st.finishedAt } : {}),
        },
        false,
        this.d.clock.now(),
      );
      if (st?.reason === 'OOMKilled')
        this.d.events.warning(
          pod,
          'OOMKilling',
          `Container ${c.name} was OOM-killed (memory limit ${c.resources?.limits?.memory ?? 'none'})`,
        );
      await this.d.cri.removeContainer(id).catch(() => undefined); // its log file stays for --previous
    }
    if (cs.startedOnce && cs.runningSince === undefined && !shouldRestart(policy, cs)) {
      cs.terminated = cs.lastTerminated;
      return changed;
    }
    if (this.d.clock.now() < cs.nextStart) {
      if (!cs.waiting || cs.waiting.reason !== 'ImagePullBackOff')
        cs.waiting = {
          reason: 'CrashLoopBackOff',
          message: `back-off ${Math.round(cs.backoffMs / 1000)}s restarting failed container=${c.name} pod=${w.name}_${w.namespace}(${w.uid})`,
        };
      w.wakeAt = Math.min(w.wakeAt ?? Infinity, cs.nextStart);
      return changed;
    }
    return (await this.startContainer(w, pod, c, cs, rec, false)) || changed;
  }

  private async startContainer(
    w: PodWorker,
    pod: Pod,
    c: Container,
    cs: ContainerState,
    rec: PodRecord,
    init: boolean,
  ): Promise<boolean> {
    let image: ResolvedImage;
    try {
      const policy = pullPolicy(c);
      if (!cs.imageID) this.d.events.normal(pod, 'Pulling', `Pulling image "${c.image}"`);
      image = await this.d.images.ensure(c.image ?? '', { policy });
      if (!cs.imageID) this.d.events.normal(pod, 'Pulled', `Successfully pulled image "${c.image}"`);
    } catch (err) {
      const again = cs.waiting?.reason === 'ErrImagePull' || cs.waiting?.reason === 'ImagePullBackOff';
      cs.waiting = { reason: again ? 'ImagePullBackOff' : 'ErrImagePull', message: describeError(err) };
      this.d.events.warning(pod, 'Failed', `Failed to pull image "${c.image}": ${describeError(err)}`);
      cs.pullBackoffMs = nextBackoff(cs.pullBackoffMs);
      cs.nextStart = this.d.clock.now() + cs.pullBackoffMs;
      w.wakeAt = Math.min(w.wakeAt ?? Infinity, cs.nextStart);
      return false;
    }
    cs.imageID = image.id;
    let cfg: ContainerConfig;
    try {
      const env = await this.d.env.build(pod, c, this.d.services(w.namespace), {
        podIP: rec.ip ?? '',
        hostIP: this.d.node.address,
      });
      const mounts = this.d.volumes.mounts(c, w.volumePaths ?? new Map());
      cfg = containerConfig(pod, c, image, env, mounts, cs.startedOnce ? cs.restartCount + 1 : cs.restartCount);
    } catch (err) {
      cs.waiting = { reason: 'CreateContainerConfigError', message: describeError(err) };
      this.d.events.warning(pod, 'Failed', `Error: ${describeError(err)}`);
      w.retryAt = this.d.clock.now() + 2000;
      return false;
    }
    if (cs.startedOnce) cs.restartCount++;
    const id = await this.d.cri.createContainer(rec.sandboxId!, cfg);
    this.d.events.normal(pod, 'Created', `Created container ${c.name}`);
    await this.d.cri.startContainer(id);
    this.d.events.normal(pod, 'Started', `Started container ${c.name}`);
    const st = await this.d.cri.containerStatus(id);
    rec.containerIds = { ...(rec.containerIds ?? {}), [c.name]: id };
    if (!init && st?.hostPid)
      rec.containers[c.name] = {
        pid: st.hostPid,
        startTime: st.hostStartTime ?? 0,
        netns: rec.netns,
        argv: cfg.command ?? cfg.args ?? [],
        log: st.logPath,
      };
    cs.startedOnce = true;
    cs.runningSince = this.d.clock.now();
    cs.containerID = id;
    cs.waiting = undefined;
    cs.terminated = undefined;
    cs.ready = !c.readinessProbe;
    cs.readiness = c.readinessProbe ? new ProbeState(false) : undefined;
    cs.liveness = c.livenessProbe ? new ProbeState(true) : undefined;
    w.restartCounts[c.name] = cs.restartCount;
    if (c.lifecycle?.postStart) {
      const ok = await runHook(this.d.cri, id, c.lifecycle.postStart, rec.ip, 30).then(
        () => true,
        (err) => {
          this.d.events.warning(pod, 'FailedPostStartHook', `PostStartHook failed: ${describeError(err)}`);
          return false;
        },
      );
      if (!ok) await this.d.cri.stopContainer(id, pod.spec.terminationGracePeriodSeconds ?? 30);
    }
    return true;
  }
}
