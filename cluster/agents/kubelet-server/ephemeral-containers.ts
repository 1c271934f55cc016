// Ephemeral containers (`kubectl debug`): the kubelet notices new entries in a running pod's
// spec.ephemeralContainers and starts each inside the pod — in the target container's namespaces
// (targetContainerName) or the sandbox's — under a terminal the kubelet holds when the spec asks
// for tty/stdin, so `kubectl attach` (which `debug -it` does) reaches it; its output is also kept
// as the container's log. Its state is reported in status.ephemeralContainerStatuses.
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { Container, EphemeralContainer, Pod } from '../../../common/api-types.js';
import type { PodRecord } from '../../../runtime/lab/lab-state.js';
import type { ImageService } from '../../../runtime/images/image-service.js';
import type { CrunRuntimeService } from '../../../runtime/cri/crun-runtime-service.js';
import { containerConfig, pullPolicy } from '../kubelet/container-spec.js';
import { describeError } from '../../../common/errors.js';
import type { KubeClient } from '../../client/kube-client.js';
import type { KubeletPods } from './kubelet-pod-directory.js';
import type { RunningContainer } from './kubelet-server.js';
import type { StreamProcess, StreamRuntime } from './stream-runtime.js';
import { rfc3339 } from '../../../common/time.js';

interface Running {
  c: RunningContainer;
  proc: StreamProcess;
  startedAt: string;
  exit?: number;
  finishedAt?: string;
  image: string;
}

/** An image's default command, as its image config would give it (busybox, alpine: a shell). */
function defaultCommand(_image: string): string[] {
  return ['sh'];
}

export class EphemeralContainers {
  private readonly running = new Map<string, Running>();
  /** When a container last failed to start (retried after 10 s, as a back-off). */
  private readonly failedAt = new Map<string, number>();

  constructor(
    private readonly kubelet: KubeletPods,
    private readonly runtime: StreamRuntime,
    private readonly client: KubeClient,
    private readonly podLogDir: (pod: Pod) => string,
    private readonly log: (line: string) => void,
    /** The node's CRI runtime and images: ephemeral containers are created from their image. */
    private readonly cri?: CrunRuntimeService,
    private readonly images?: ImageService,
  ) {}

  get(namespace: string, pod: string, name: string): RunningContainer | undefined {
    return this.running.get(`${namespace}/${pod}/${name}`)?.c;
  }

  /** Starts what is new; reports what changed. Called every second by the server's housekeeping. */
  async sync(): Promise<void> {
    for (const { pod, record } of this.kubelet.runningPods()) {
      const eph = pod.spec.ephemeralContainers ?? [];
      if (!eph.length || !record?.sandbox) continue;
      let changed = false;
      for (const spec of eph) {
        const key = `${pod.metadata.namespace}/${pod.metadata.name}/${spec.name}`;
        if (this.running.has(key)) continue;
        const target = spec.targetContainerName ? record.containers[spec.targetContainerName]?.pid : record.sandbox.pid;
        if (!target) continue;
        const argv = [...(spec.command ?? defaultCommand(spec.image ?? '')), ...(spec.args ?? [])];
        const dir = this.podLogDir(pod);
        mkdirSync(dir, { recursive: true });
        const logFile = join(dir, `${spec.name}.log`);
        const env = (spec.env ?? [])
          .filter((e) => e.value !== undefined)
          .map((e) => ({ name: e.name, value: e.value! }));
        if (this.cri && this.images && record.sandboxId) {
          if ((this.failedAt.get(key) ?? 0) > Date.now() - 10_000) continue;
          const started = await this.startOnCri(pod, record, spec, logFile).catch((err: unknown) => {
            this.log(`kubelet: ephemeral container ${key}: ${describeError(err)}`);
            this.failedAt.set(key, Date.now());
            return undefined;
          });
          if (!started) continue;
          this.hold(pod, key, started.c, started.proc, spec.image ?? '');
          changed = true;
          continue;
        }
        const c: RunningContainer = {
          pid: target,
          env,
          hostname: pod.metadata.name!,
          logFile,
          previousLogFile: `${logFile}.previous`,
          alive: () => this.running.get(key)?.exit === undefined,
        };
        let proc: StreamProcess;
        try {
          proc = this.runtime.exec(c, argv, { tty: !!spec.tty, stdin: !!spec.stdin, cols: 80, rows: 24 });
        } catch (err) {
          this.log(`kubelet: ephemeral container ${key}: ${describeError(err)}`);
          continue;
        }
        this.hold(pod, key, c, proc, spec.image ?? '');
        changed = true;
      }
      if (changed) await this.report(pod).catch((e) => this.log(`kubelet: ephemeral status: ${describeError(e)}`));
    }
  }

  /**
   * The CRI way (what the real kubelet does): the container is created from its image in the
   * pod's sandbox — sharing its network, IPC and UTS namespaces, and the target container's PID
   * namespace with --target — by the node's runtime; with a TTY the runtime's exec console holds
   * its terminal (attach reaches it), else its output is its CRI log.
   */
  private async startOnCri(
    pod: Pod,
    record: PodRecord,
    spec: EphemeralContainer,
    logFile: string,
  ): Promise<{ c: RunningContainer; proc: StreamProcess } | undefined> {
    const cri = this.cri!;
    const pidTarget = spec.targetContainerName ? record.containerIds?.[spec.targetContainerName] : undefined;
    if (spec.targetContainerName && !pidTarget) return undefined; // the target is not running yet
    const image = await this.images!.ensure(spec.image ?? '', { policy: pullPolicy(spec as Container) });
    const env = (spec.env ?? []).filter((e) => e.value !== undefined).map((e) => ({ name: e.name, value: e.value! }));
    const cfg = containerConfig(pod, spec as Container, image, env, [], 0);
    let id: string;
    let proc: StreamProcess;
    const status = async () => (await cri.containerStatus(id))?.exitCode ?? 0;
    if (spec.tty) {
      const run = await cri.runWithTerminal(record.sandboxId!, cfg, { ...(pidTarget ? { pidTarget } : {}) });
      id = run.id;
      const s = run.session;
      proc = {
        ...(spec.stdin && s.stdin ? { stdin: s.stdin } : {}),
        stdout: s.stdout,
        resize: (w, h) => s.resize(w, h),
        kill: () => s.close(),
        exited: s.wait().then(status),
      };
    } else {
      id = await cri.createContainer(record.sandboxId!, cfg);
      await cri.startContainer(id);
      const out = await cri.attach(id);
      proc = {
        stdout: out.stdout,
        ...(out.stderr ? { stderr: out.stderr } : {}),
        resize: () => undefined,
        kill: () => void cri.stopContainer(id, 0),
        exited: waitExited(cri, id),
      };
    }
    let exited = false;
    void proc.exited.then(() => (exited = true));
    const c: RunningContainer = {
      pid: 0,
      containerId: id,
      env,
      hostname: pod.metadata.name!,
      logFile,
      previousLogFile: `${logFile}.previous`,
      alive: () => !exited,
    };
    return { c, proc };
  }

  /** Keeps a started ephemeral container: its log, its attachable terminal, its status. */
  private hold(pod: Pod, key: string, c: RunningContainer, proc: StreamProcess, image: string): void {
    const logFile = c.logFile;
    const r: Running = {
      c,
      proc,
      startedAt: rfc3339(Date.now()),
      image,
    };
    const file = createWriteStream(logFile, { flags: 'a' });
    const fanout = new Set<PassThrough>();
    const onOut = (b: Buffer) => {
      file.write(b);
      for (const f of fanout) f.write(b);
    };
    proc.stdout.on('data', onOut);
    proc.stderr?.on('data', onOut);
    // Attach: the held terminal's output and input; several attaches share it, as with a runtime.
    c.attach = () => {
      const out = new PassThrough();
      fanout.add(out);
      const input = new PassThrough();
      input.on('data', (b: Buffer) => proc.stdin?.write(b));
      const exited = proc.exited.then((code) => {
        fanout.delete(out);
        out.end();
        return code;
      });
      return {
        stdin: input,
        stdout: out,
        resize: (w, h) => proc.resize(w, h),
        kill: () => {
          fanout.delete(out);
          out.end();
        },
        exited,
      };
    };
    void proc.exited.then((code) => {
      r.exit = code;
      r.finishedAt = rfc3339(Date.now());
      file.end();
      void this.report(pod).catch((e) => this.log(`kubelet: ephemeral status ${key}: ${describeError(e)}`));
    });
    this.running.set(key, r);
  }

  private async report(pod: Pod): Promise<void> {
    const statuses = (pod.spec.ephemeralContainers ?? []).flatMap((spec) => {
      const r = this.running.get(`${pod.metadata.namespace}/${pod.metadata.name}/${spec.name}`);
      if (!r) return [];
      const state =
        r.exit === undefined
          ? { running: { startedAt: r.startedAt } }
          : {
              terminated: {
                exitCode: r.exit,
                reason: r.exit === 0 ? 'Completed' : 'Error',
                startedAt: r.startedAt,
                finishedAt: r.finishedAt,
              },
            };
      return [
        {
          name: spec.name,
          image: r.image,
          imageID: '',
          containerID: `kubewire://${spec.name}`,
          ready: false,
          restartCount: 0,
          state,
          lastState: {},
        },
      ];
    });
    await this.client.pods.patch(pod.metadata.name!, { status: { ephemeralContainerStatuses: statuses } }, 'merge', {
      namespace: pod.metadata.namespace,
      subresource: 'status',
    });
  }
}

/** A container's exit code once its node's runtime reports it exited. */
async function waitExited(cri: CrunRuntimeService, id: string): Promise<number> {
  for (;;) {
    const st = await cri.containerStatus(id);
    if (!st || st.state === 'CONTAINER_EXITED') return st?.exitCode ?? 0;
    await new Promise((r) => setTimeout(r, 500));
  }
}
