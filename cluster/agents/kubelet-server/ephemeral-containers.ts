// Ephemeral containers (`kubectl debug`): the kubelet notices new entries in a running pod's
// spec.ephemeralContainers and starts each inside the pod — in the target container's namespaces
// (targetContainerName) or the sandbox's — under a terminal the kubelet holds when the spec asks
// for tty/stdin, so `kubectl attach` (which `debug -it` does) reaches it; its output is also kept
// as the container's log. Its state is reported in status.ephemeralContainerStatuses.
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { Pod } from '../../../common/api-types.js';
import { describeError } from '../../../common/errors.js';
import type { KubeClient } from '../../client/kube-client.js';
import type { KubeletPods } from './kubelet-pod-directory.js';
import type { RunningContainer } from './kubelet-server.js';
import type { StreamProcess, StreamRuntime } from './stream-runtime.js';

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

  constructor(
    private readonly kubelet: KubeletPods,
    private readonly runtime: StreamRuntime,
    private readonly client: KubeClient,
    private readonly podLogDir: (pod: Pod) => string,
    private readonly log: (line: string) => void,
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
        const c: RunningContainer = {
          pid: target,
          env,
          hostname: pod.metadata.name!,
          logFile,
          previousLogFile: `${logFile}.previous`,
          alive: () => r.exit === undefined,
        };
        let proc: StreamProcess;
        try {
          proc = this.runtime.exec(c, argv, { tty: !!spec.tty, stdin: !!spec.stdin, cols: 80, rows: 24 });
        } catch (err) {
          this.log(`kubelet: ephemeral container ${key}: ${describeError(err)}`);
          continue;
        }
        const r: Running = {
          c,
          proc,
          startedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
          image: spec.image ?? '',
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
          r.finishedAt = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
          file.end();
          void this.report(pod).catch((e) => this.log(`kubelet: ephemeral status ${key}: ${describeError(e)}`));
        });
        this.running.set(key, r);
        changed = true;
      }
      if (changed) await this.report(pod).catch((e) => this.log(`kubelet: ephemeral status: ${describeError(e)}`));
    }
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
