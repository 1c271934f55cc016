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
import { podEtc } from './pod-etc.js';
import type { ContainerRuntimeState, PodRuntimeView } from './pod-status.js';
import type { PodVolumes } from './pod-volumes.js';
import { ProbeState, runProbe } from './probes.js';

export interface ContainerState extends ContainerRuntimeState {
  backoffMs: number;
  nextStart: number;
  startedOnce: boolean;
  liveness?: ProbeState;
  readiness?: ProbeState;
  probing?: boolean;
}

export interface PodWorker {
  key: string;
  namespace: string;
  name: string;
  uid: string;
  pod?: Pod;
  static?: Pod;
  fromTopology?: boolean;
  successorStatic?: Pod;
  mirror?: Pod;
  successor?: Pod;
  gone?: boolean;
  record?: PodRecord;
  containers: Map<string, ContainerState>;
  initContainers?: Map<string, ContainerState>;
  initialized?: boolean;
  restartCounts: Record<string, number>;
  startTime: number;
  dirty: boolean;
  running?: Promise<void>;
  retryAt?: number;
  /** Back-off of the last failed sync (0 after a good one). */
  syncBackoffMs?: number;
  wakeAt?: number;
  lastPosted?: string;
  volumePaths?: Map<string, string>;
  /** The pod failed for good (an init container failed under restartPolicy Never). */
  failed?: boolean;
}

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

const BACKOFF_START_MS = 10_000;
const BACKOFF_MAX_MS = 300_000;

export class ContainerSync {
  constructor(private readonly d: ContainerSyncDeps) {}

  view(w: PodWorker, pod: Pod): PodRuntimeView {
    return {
      ...(w.record?.ip ? { podIP: w.record.ip } : {}),
      hostIP: this.d.node.address,
      startTime: w.startTime,
      restartPolicy: pod.spec.restartPolicy ?? 'Always',
      containers: pod.spec.containers.map((c) => this.state(w, c)),
      ...(pod.spec.initContainers?.length
        ? { initialized: !!w.initialized, initContainers: pod.spec.initContainers.map((c) => this.state(w, c, true)) }
        : {}),
      ...(w.failed ? { failed: true } : {}),
    };
  }

  /** True when something recorded no longer runs, a restart is due, or init containers are at work. */
  async needsSync(w: PodWorker): Promise<boolean> {
    const rec = w.record;
    if (!rec?.sandbox) return !!w.pod && !this.finished(w);
    if (w.pod?.spec.initContainers?.length && !w.initialized && !w.failed) return true;
    const alive = await this.d.driver.alive([rec.sandbox, ...Object.values(rec.containers)]);
    return alive.some((a) => !a);
  }

  /** Makes the pod's sandbox and containers run; true when the record changed. */
  async syncContainers(w: PodWorker, pod: Pod): Promise<boolean> {
    if (this.finished(w)) return false;
    let changed = false;
    const sandboxAlive = !!w.record?.sandbox && (await this.d.driver.alive([w.record.sandbox]))[0]!;
    if (!sandboxAlive) {
      await this.runSandbox(w, pod);
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

  /** Starts probes that are due (each runs on its own; a result re-syncs the worker). */
  runProbes(w: PodWorker, pod: Pod): void {
    const rec = w.record;
    if (!rec?.sandbox || !rec.ip) return;
    const now = this.d.clock.now();
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
          nodeNetns: this.d.node.netns,
          podIP: rec.ip,
          exec: async (cmd: string[], t: number) => (await this.d.cri.execSync(id, cmd, t)).exitCode,
        };
        void runProbe(this.d.driver, probe, c, target).then(async (ok) => {
          cs.probing = false;
          const before = st.ok;
          const verdict = st.record(probe, ok);
          if (!ok)
            this.d.events.warning(pod, 'Unhealthy', `${kind === 'readiness' ? 'Readiness' : 'Liveness'} probe failed`);
          if (kind === 'readiness' && verdict !== before) {
            cs.ready = verdict;
            this.d.enqueue(w);
          }
          if (kind === 'liveness' && !verdict && before) {
            this.d.events.normal(pod, 'Killing', `Container ${c.name} failed liveness probe, will be restarted`);
            await this.d.cri.stopContainer(id, pod.spec.terminationGracePeriodSeconds ?? 30).catch(() => undefined);
            this.d.enqueue(w);
          }
        });
      }
    }
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

  private async runSandbox(w: PodWorker, pod: Pod): Promise<void> {
    const old = w.record;
    if (old?.sandboxId) {
      this.d.events.normal(pod, 'SandboxChanged', 'Pod sandbox changed, it will be killed and re-created.');
      await this.d.cri.removePodSandbox(old.sandboxId).catch(() => undefined);
      for (const cs of w.containers.values()) this.exited(cs, { exitCode: 137, reason: 'Error' }, true);
      old.containers = {};
      old.containerIds = {};
      delete old.sandbox;
      delete old.sandboxId;
      w.initialized = false;
    }
    // Volumes first, as kubelet waits for mounts before it asks for a sandbox.
    try {
      w.volumePaths = await this.d.volumes.setUp(pod);
    } catch (err) {
      this.d.events.warning(pod, 'FailedMount', `MountVolume.SetUp failed: ${describeError(err)}`);
      throw err;
    }
    try {
      await this.createSandbox(w, pod, old);
    } catch (err) {
      // As containerd does when RunPodSandbox fails: nothing half-made stays (the pause container,
      // the CNI attachment and its address, the namespace), so the pod worker's retry starts clean.
      this.d.events.warning(pod, 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${describeError(err)}`);
      await this.discardSandbox(w);
      throw err;
    }
  }

  private async discardSandbox(w: PodWorker): Promise<void> {
    const rec = w.record;
    if (!rec) return;
    if (rec.sandboxId) await this.d.cri.removePodSandbox(rec.sandboxId).catch(() => undefined);
    await this.d.network
      .tearDown(rec, this.d.node.cniConf, this.d.node.netns, { releaseIp: true })
      .catch(() => undefined);
    w.record = undefined;
  }

  private async createSandbox(w: PodWorker, pod: Pod, old: PodRecord | undefined): Promise<void> {
    const netns = this.d.podNetns(w.namespace, w.name);
    const ann = pod.metadata.annotations ?? {};
    // Recorded before CNI runs: a failure halfway still names the namespace and container id to undo.
    const rec: PodRecord = old ?? {
      namespace: w.namespace,
      name: w.name,
      node: this.d.node.name,
      netns,
      containerId: this.d.containerId(w),
      containers: {},
    };
    w.record = rec;
    await this.d.network.setUp(
      {
        namespace: w.namespace,
        name: w.name,
        node: this.d.node.name,
        nodeNetns: this.d.node.netns,
        netns,
        cniConf: this.d.node.cniConf,
        ...(this.d.node.dynamicCniConf ? { dynamicCniConf: this.d.node.dynamicCniConf } : {}),
        containerId: rec.containerId,
        ...(ann['kubewire.io/ip'] ? { ip: ann['kubewire.io/ip'] } : {}),
        ...(ann['kubewire.io/mac'] ? { mac: ann['kubewire.io/mac'] } : {}),
        nameserver: this.d.nameserver,
      },
      rec,
    );
    const resolv = this.d.resolvConf(w.namespace) ?? `nameserver ${this.d.nameserver}\n`;
    // `ip netns exec` into the pod's namespace (kubewire exec, lab terminals) sees the same resolver.
    await this.d.driver.writeFile(`/etc/netns/${netns}/resolv.conf`, resolv);
    const hostname = pod.spec.hostname ?? w.name;
    const id = await this.d.cri.runPodSandbox({
      name: w.name,
      namespace: w.namespace,
      uid: w.uid || pod.metadata.uid || w.key,
      hostname,
      netnsPath: `/run/netns/${netns}`,
      etc: podEtc(pod, hostname, rec.ip, resolv),
      logDirectory: this.d.podLogDir(w.namespace, w.name, w.uid),
      labels: {
        'io.kubernetes.pod.name': w.name,
        'io.kubernetes.pod.namespace': w.namespace,
        'io.kubernetes.pod.uid': w.uid,
      },
      shareProcessNamespace: !!pod.spec.shareProcessNamespace,
    });
    rec.sandboxId = id;
    rec.containerIds = {};
    rec.containers = {};
    const st = await this.d.cri.podSandboxStatus(id);
    // A sandbox without a live pause process holds nothing: a failure, not a pod to build on.
    if (!st?.hostPid || st.state !== 'SANDBOX_READY')
      throw new Error(`the pause container of sandbox ${id.slice(0, 12)} is not running`);
    rec.sandbox = { pid: st.hostPid, startTime: st.hostStartTime ?? 0, netns, argv: ['/pause'], log: '' };
  }

  private async syncInit(w: PodWorker, pod: Pod, rec: PodRecord): Promise<boolean> {
    for (const c of pod.spec.initContainers ?? []) {
      const cs = this.state(w, c, true);
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
          cs.backoffMs = cs.backoffMs === 0 ? BACKOFF_START_MS : Math.min(cs.backoffMs * 2, BACKOFF_MAX_MS);
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
    const cs = this.state(w, c);
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
      this.exited(
        cs,
        {
          exitCode: st?.exitCode ?? 137,
          reason: st?.reason ?? 'Error',
          ...(st?.startedAt ? { startedAt: st.startedAt } : {}),
          ...(st?.finishedAt ? { finishedAt: st.finishedAt } : {}),
        },
        false,
      );
      if (st?.reason === 'OOMKilled')
        this.d.events.warning(
          pod,
          'OOMKilling',
          `Container ${c.name} was OOM-killed (memory limit ${c.resources?.limits?.memory ?? 'none'})`,
        );
      await this.d.cri.removeContainer(id).catch(() => undefined); // its log file stays for --previous
    }
    if (cs.startedOnce && cs.runningSince === undefined && !this.shouldRestart(policy, cs)) {
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
      cs.pullBackoffMs = cs.pullBackoffMs ? Math.min(cs.pullBackoffMs * 2, BACKOFF_MAX_MS) : BACKOFF_START_MS;
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

  private state(w: PodWorker, c: Container, init = false): ContainerState {
    const map = init ? (w.initContainers ??= new Map()) : w.containers;
    let cs = map.get(c.name);
    if (!cs) {
      const proc = init ? undefined : w.record?.containers[c.name];
      const id = w.record?.containerIds?.[c.name];
      cs = {
        name: c.name,
        image: c.image ?? '',
        restartCount: w.restartCounts[c.name] ?? 0,
        ready: !!proc && !c.readinessProbe,
        backoffMs: 0,
        nextStart: 0,
        startedOnce: !!proc || (w.restartCounts[c.name] ?? 0) > 0,
        ...(proc
          ? { runningSince: this.d.clock.now(), ...(id ? { containerID: id } : {}) }
          : { waiting: { reason: init ? 'PodInitializing' : 'ContainerCreating' } }),
      };
      if (proc) {
        cs.readiness = c.readinessProbe ? new ProbeState(false) : undefined;
        cs.liveness = c.livenessProbe ? new ProbeState(true) : undefined;
      }
      map.set(c.name, cs);
    }
    return cs;
  }

  private exited(
    cs: ContainerState,
    exit: { exitCode: number; reason: string; startedAt?: number; finishedAt?: number },
    sandboxGone: boolean,
  ): void {
    if (cs.runningSince === undefined) return;
    const now = this.d.clock.now();
    cs.lastTerminated = {
      exitCode: exit.exitCode,
      reason: exit.reason,
      startedAt: exit.startedAt ?? cs.runningSince,
      finishedAt: exit.finishedAt ?? now,
    };
    cs.runningSince = undefined;
    cs.ready = false;
    // A crash loop backs off; a sandbox rebuild or the first crash restarts at once.
    cs.nextStart = sandboxGone || cs.backoffMs === 0 ? now : now + cs.backoffMs;
    cs.backoffMs = cs.backoffMs === 0 ? BACKOFF_START_MS : Math.min(cs.backoffMs * 2, BACKOFF_MAX_MS);
    if (sandboxGone) cs.backoffMs = 0;
  }

  private shouldRestart(policy: string, cs: ContainerState): boolean {
    if (policy === 'Always') return true;
    if (policy === 'Never') return false;
    return (cs.lastTerminated?.exitCode ?? 1) !== 0;
  }

  /** A pod whose containers all ended and will not be restarted. */
  private finished(w: PodWorker): boolean {
    const pod = w.pod;
    if (w.failed) return true;
    if (!pod || (pod.spec.restartPolicy ?? 'Always') === 'Always') return false;
    return pod.spec.containers.every((c) => w.containers.get(c.name)?.terminated);
  }
}
