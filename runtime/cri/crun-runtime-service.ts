// CRI's RuntimeService on crun (or runc) inside a node container. A sandbox is a pause container
// holding the pod's UTS and IPC namespaces (and its PID namespace when shareProcessNamespace)
// in the network namespace the CNI plugins wired; an app container has its own mount and PID
// namespaces and joins the pause container's network/IPC/UTS. Roots are overlayfs over the
// image's unpacked layers, cgroups sit under the node's cgroup parent, exit codes come from the
// node's init, logs are CRI log files. Nothing per container stays running besides the container.
import { randomBytes } from 'node:crypto';
import { existsSync, openSync, writeFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { HostDriver } from '../host/host-driver.js';
import type { Cgroups } from './cgroups.js';
import { closeFd, ContainerLogPump, makeFifo, openLogFifos } from './container-log.js';
import { attachSession, execSession, execSync, heldSession, spawnHeldConsole } from './container-streams.js';
import { CriStore, type ContainerRecord, type SandboxRecord } from './cri-store.js';
import {
  NotFoundError,
  RuntimeError,
  type ContainerConfig,
  type ContainerStatus,
  type ExecOptions,
  type ExecSyncResult,
  type PodSandboxConfig,
  type PodSandboxStatus,
  type RuntimeService,
  type StreamSession,
} from './cri-types.js';
import type { NodeContainer } from './node-container.js';
import { TTY_READY_ARGV0, type OciRuntime } from './oci-runtime.js';
import { readExit } from './exit-records.js';
import { containerStatusOf, labelsMatch, sandboxStatusOf } from './cri-status.js';
import { openStdinFifo, pauseRootfs, writeContainerBundle, writeSandboxBundle } from './bundles.js';

export interface CrunRuntimeDeps {
  driver: HostDriver;
  node: NodeContainer;
  oci: OciRuntime;
  cgroups: Cgroups;
  /** The runtime's state on the node: records, bundles. */
  stateDir: string;
  /** The static pause binary: the sandbox's root when no pause image is given. */
  pauseBinary: string;
  logMaxBytes?: number;
}

const newId = () => randomBytes(32).toString('hex');

export class CrunRuntimeService implements RuntimeService {
  readonly store: CriStore;
  private readonly pumps = new Map<string, ContainerLogPump>();
  /**
   * stdinOnce containers' stdin FIFOs, held open for writing here until the first attach with
   * input ends (then the container reads EOF). A runtime that restarts lets them go (containerd's
   * FIFO writer goes the same way when containerd restarts).
   */
  private readonly stdinHolds = new Map<string, number>();

  constructor(private readonly d: CrunRuntimeDeps) {
    this.store = new CriStore(d.stateDir);
  }

  /** Re-opens the log FIFOs of containers still running (a kubelet restarted). */
  async resume(): Promise<void> {
    for (const c of this.store.containers.values()) {
      if (c.startedAt === undefined || c.finishedAt !== undefined || this.pumps.has(c.id)) continue;
      const dir = this.store.containerDir(c.id);
      if (!existsSync(join(dir, 'stdout.fifo'))) continue;
      // A container that ended while no runtime ran (`down`, its node killed) writes nothing more:
      // a read end opened now would wait for a writer that never comes (no EOF), and whatever
      // waits for its log to end (removeContainer) with it. refresh() records how it ended.
      if (!(await this.hostAlive(c))) continue;
      const fifos: [string, string] | [string] = c.tty
        ? [join(dir, 'stdout.fifo')]
        : [join(dir, 'stdout.fifo'), join(dir, 'stderr.fifo')];
      const pump = new ContainerLogPump(c.logPath, fifos, { maxBytes: this.d.logMaxBytes ?? 10 * 1024 * 1024 });
      await pump.start();
      this.track(c.id, pump);
    }
  }

  /** Stops reading every container's log FIFOs (the runtime's process exits; containers run on). */
  detachLogs(): void {
    for (const pump of this.pumps.values()) pump.detach();
  }

  async runPodSandbox(cfg: PodSandboxConfig): Promise<string> {
    await this.d.node.ensure();
    const id = newId();
    const dir = this.store.sandboxDir(id);
    const cgroupParent = writeSandboxBundle(dir, id, cfg, this.d.node.cgroup);
    const lowers = cfg.image ? [...cfg.image.layers].reverse() : [pauseRootfs(this.d.stateDir, this.d.pauseBinary)];
    const rec: SandboxRecord = {
      id,
      name: cfg.name,
      namespace: cfg.namespace,
      uid: cfg.uid,
      hostname: cfg.hostname,
      netnsPath: cfg.netnsPath,
      logDirectory: cfg.logDirectory,
      createdAt: Date.now(),
      shareProcessNamespace: !!cfg.shareProcessNamespace,
      cgroupParent,
      image: cfg.image?.ref ?? 'kubewire/pause',
      state: 'SANDBOX_NOTREADY',
      labels: cfg.labels ?? {},
      annotations: cfg.annotations ?? {},
    };
    this.store.putSandbox(rec);
    try {
      const log = openSync(join(dir, 'pause.log'), 'a', 0o600);
      try {
        rec.pid = await this.d.oci.create(id, dir, lowers, { stdout: log, stderr: log });
      } finally {
        closeFd(log);
      }
      await this.d.oci.start(id);
      const host = await this.hostProcess(`${cgroupParent}/${id}`);
      if (!host.hostPid) throw new RuntimeError(`sandbox ${id.slice(0, 12)}: its pause process is not in its cgroup`);
      Object.assign(rec, host, { state: 'SANDBOX_READY' });
      this.store.putSandbox(rec);
      return id;
    } catch (err) {
      // containerd's RunPodSandbox leaves nothing behind on failure: the caller never learns the id.
      await this.removePodSandbox(id).catch(() => undefined);
      throw err;
    }
  }

  async stopPodSandbox(id: string): Promise<void> {
    const sb = this.store.sandboxes.get(id);
    if (!sb) return;
    const ctrs = [...this.store.containers.values()].filter((c) => c.podSandboxId === id);
    await Promise.all(ctrs.map((c) => this.stopContainer(c.id, 0)));
    if (sb.state === 'SANDBOX_READY') {
      await this.d.oci.kill(id, 'KILL');
      sb.state = 'SANDBOX_NOTREADY';
      this.store.putSandbox(sb);
    }
  }

  async removePodSandbox(id: string): Promise<void> {
    const sb = this.store.sandboxes.get(id);
    if (!sb) return;
    await this.stopPodSandbox(id);
    const ctrs = [...this.store.containers.values()].filter((c) => c.podSandboxId === id);
    await Promise.all(ctrs.map((c) => this.removeContainer(c.id)));
    await this.d.oci.delete(id, this.store.sandboxDir(id));
    await this.d.cgroups.remove(sb.cgroupParent);
    this.store.dropSandbox(id);
  }

  async podSandboxStatus(id: string): Promise<PodSandboxStatus | undefined> {
    const sb = this.store.sandboxes.get(id);
    if (!sb) return undefined;
    if (sb.state === 'SANDBOX_READY' && !(await this.hostAlive(sb))) {
      sb.state = 'SANDBOX_NOTREADY';
      this.store.putSandbox(sb);
    }
    return sandboxStatusOf(sb);
  }

  async listPodSandbox(filter: { labels?: Record<string, string> } = {}): Promise<PodSandboxStatus[]> {
    const out = await Promise.all([...this.store.sandboxes.keys()].map((id) => this.podSandboxStatus(id)));
    return out.filter((s): s is PodSandboxStatus => !!s && labelsMatch(s.labels, filter.labels));
  }

  async createContainer(sandboxId: string, cfg: ContainerConfig): Promise<string> {
    if (cfg.tty) return this.createWithTerminal(sandboxId, cfg);
    const { rec, dir, img } = await this.prepare(sandboxId, cfg);
    const id = rec.id;
    const fifos = await openLogFifos(dir);
    // stdin: true — the container's stdin is a FIFO it holds read-write itself (so it never sees
    // end of input between attaches, and a kubelet restart does not close it); attach -i writes
    // into it, as conmon's stdin pipe does. With stdinOnce it holds only the read end and this
    // runtime the write end, until the first attach with input ends: then the container reads EOF.
    const stdin = cfg.stdin ? await openStdinFifo(dir, !!cfg.stdinOnce) : undefined;
    const pump = new ContainerLogPump(rec.logPath, fifos.paths, { maxBytes: this.d.logMaxBytes ?? 10 * 1024 * 1024 });
    try {
      await pump.start();
      rec.pid = await this.d.oci.create(id, dir, [...img.layers].reverse(), {
        ...(stdin ? { stdin: stdin.fd } : {}),
        stdout: fifos.stdout,
        stderr: fifos.stderr,
      });
    } catch (err) {
      if (stdin?.hold !== undefined) closeFd(stdin.hold);
      throw err;
    } finally {
      closeFd(fifos.stdout);
      closeFd(fifos.stderr);
      if (stdin) closeFd(stdin.fd);
    }
    if (stdin?.hold !== undefined) {
      this.stdinHolds.set(id, stdin.hold);
      rec.stdinOnce = true;
    }
    this.track(id, pump);
    await rm(join(this.d.node.exitDir, String(rec.pid)), { force: true }); // a reused pid's old record
    Object.assign(rec, await this.hostProcess(rec.cgroupsPath));
    this.store.putContainer(rec);
    return id;
  }

  /**
   * A container whose spec asks for a terminal (`tty: true`), run with no client attached, as
   * containerd does it: the runtime creates the pty (terminal: true) and hands its master to the
   * node's exec console in hold mode (native/exec-console.c, conmon's job), which stays on its own:
   * the terminal's output goes into the stdout FIFO (the CRI log, stream stdout: a terminal merges
   * both), the stdin FIFO (stdin: true) into the terminal, and sizes from attach into its resize
   * FIFO. The container's exit code is the node init's record as for any container.
   */
  private async createWithTerminal(sandboxId: string, cfg: ContainerConfig): Promise<string> {
    // No consoleSize: as with containerd, the terminal has none until a client attaches and sizes it.
    const { rec, dir, img } = await this.prepare(sandboxId, cfg, { console: { cols: 0, rows: 0 } });
    const id = rec.id;
    const paths = { out: join(dir, 'stdout.fifo'), resize: join(dir, 'resize.fifo'), in: join(dir, 'stdin.fifo') };
    await makeFifo(paths.out);
    await makeFifo(paths.resize);
    if (cfg.stdin) await makeFifo(paths.in);
    // Read-write: the console never sees EOF on its input or control (nor the log's reader a
    // missing writer) while no client is attached or the runtime restarts.
    const out = openSync(paths.out, 'r+');
    const resize = openSync(paths.resize, 'r+');
    const input = cfg.stdin ? openSync(paths.in, 'r+') : undefined;
    const pump = new ContainerLogPump(rec.logPath, [paths.out], { maxBytes: this.d.logMaxBytes ?? 10 * 1024 * 1024 });
    try {
      await pump.start();
      const argv = this.d.oci.createHeldArgv(
        id,
        dir,
        [...img.layers].reverse(),
        { cols: 0, rows: 0 },
        { noStdin: !cfg.stdin },
      );
      await spawnHeldConsole(argv, { ...(input !== undefined ? { stdin: input } : {}), stdout: out, control: resize });
    } catch (err) {
      pump.detach();
      throw err;
    } finally {
      closeFd(out);
      closeFd(resize);
      if (input !== undefined) closeFd(input);
    }
    this.track(id, pump);
    rec.pid = Number((await readFile(join(dir, 'pid'), 'utf8')).trim());
    if (!Number.isInteger(rec.pid) || rec.pid <= 0) throw new RuntimeError(`create ${id.slice(0, 12)}: no pid file`);
    await rm(join(this.d.node.exitDir, String(rec.pid)), { force: true });
    Object.assign(rec, await this.hostProcess(rec.cgroupsPath), { tty: true });
    this.store.putContainer(rec);
    return id;
  }

  /**
   * The bundle and record of a new container in a sandbox: its spec from the image and the
   * config; with `pidTarget` (an ephemeral container's --target) it joins that container's PID
   * namespace, and with `console` its process gets a terminal of that size.
   */
  private async prepare(
    sandboxId: string,
    cfg: ContainerConfig,
    o: { pidTarget?: string; console?: { cols: number; rows: number } } = {},
  ): Promise<{ rec: ContainerRecord; dir: string; img: ContainerConfig['image'] }> {
    const sb = this.store.sandboxes.get(sandboxId);
    if (!sb?.pid) throw new NotFoundError(`pod sandbox ${sandboxId.slice(0, 12)}`);
    const id = newId();
    const dir = this.store.containerDir(id);
    const target = o.pidTarget ? this.store.containers.get(o.pidTarget) : undefined;
    if (o.pidTarget && !target?.pid) throw new NotFoundError(`target container ${o.pidTarget.slice(0, 12)}`);
    const img = cfg.image;
    const rec = await writeContainerBundle(dir, id, sb, cfg, {
      etcDir: join(this.store.sandboxDir(sandboxId), 'etc'),
      ...(target?.pid ? { targetPid: target.pid } : {}),
      ...(o.console ? { console: o.console } : {}),
    });
    this.store.putContainer(rec);
    return { rec, dir, img };
  }

  /**
   * An ephemeral container with a terminal (`kubectl debug -it`): created from its image in the
   * sandbox (in `pidTarget`'s PID namespace when given) under the exec console, which holds the
   * pty as conmon does; started at once. The session is the terminal: its output, keys, resizes;
   * it ends when the container's processes are gone (their exit code: containerStatus).
   */
  async runWithTerminal(
    sandboxId: string,
    cfg: ContainerConfig,
    o: { pidTarget?: string; cols?: number; rows?: number },
  ): Promise<{ id: string; session: StreamSession }> {
    const size = { cols: clampSize(o.cols, 80), rows: clampSize(o.rows, 24) };
    const { rec, dir, img } = await this.prepare(sandboxId, cfg, {
      ...(o.pidTarget ? { pidTarget: o.pidTarget } : {}),
      console: size,
    });
    const { session, created } = heldSession(this.d.oci.createHeldArgv(rec.id, dir, [...img.layers].reverse(), size));
    await created;
    rec.pid = Number((await readFile(join(dir, 'pid'), 'utf8')).trim());
    await rm(join(this.d.node.exitDir, String(rec.pid)), { force: true });
    Object.assign(rec, await this.hostProcess(rec.cgroupsPath));
    this.store.putContainer(rec);
    await this.startContainer(rec.id);
    return { id: rec.id, session };
  }

  async startContainer(id: string): Promise<void> {
    const rec = this.container(id);
    await this.d.oci.start(id);
    rec.startedAt = Date.now();
    this.store.putContainer(rec);
  }

  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    const rec = this.store.containers.get(id);
    if (!rec) return;
    if ((await this.refresh(rec)) !== 'CONTAINER_RUNNING' && rec.startedAt !== undefined) return;
    if (rec.startedAt === undefined) {
      await this.d.oci.kill(id, 'KILL');
    } else if (timeoutSeconds > 0) {
      await this.d.oci.kill(id, (rec.stopSignal ?? 'TERM').replace(/^SIG/, ''));
      if (await this.waitExit(rec, timeoutSeconds * 1000)) return;
    }
    await this.d.oci.kill(id, 'KILL');
    await this.waitExit(rec, 5000);
  }

  async removeContainer(id: string): Promise<void> {
    const rec = this.store.containers.get(id);
    if (!rec) return;
    await this.refresh(rec);
    await this.d.oci.delete(id, this.store.containerDir(id));
    const pump = this.pumps.get(id);
    if (pump) {
      // Gone, its log drains at once; bounded all the same, a stuck read end must not stall the pod.
      await Promise.race([pump.ended(), new Promise((r) => setTimeout(r, 2000))]);
      pump.detach();
    }
    if (rec.pid) await rm(join(this.d.node.exitDir, String(rec.pid)), { force: true });
    this.releaseStdin(id);
    this.store.dropContainer(id);
  }

  async containerStatus(id: string): Promise<ContainerStatus | undefined> {
    const rec = this.store.containers.get(id);
    if (!rec) return undefined;
    return containerStatusOf(rec, await this.refresh(rec));
  }

  async listContainers(
    filter: { podSandboxId?: string; labels?: Record<string, string> } = {},
  ): Promise<ContainerStatus[]> {
    const ids = [...this.store.containers.values()]
      .filter((c) => !filter.podSandboxId || c.podSandboxId === filter.podSandboxId)
      .map((c) => c.id);
    const out = await Promise.all(ids.map((id) => this.containerStatus(id)));
    return out.filter((s): s is ContainerStatus => !!s && labelsMatch(s.labels, filter.labels));
  }

  async execSync(id: string, cmd: string[], timeoutSeconds = 0): Promise<ExecSyncResult> {
    const rec = this.container(id);
    return execSync(this.d.oci.execArgv(id, cmd, { user: rec.user }), timeoutSeconds);
  }

  async exec(id: string, cmd: string[], opts: ExecOptions = {}): Promise<StreamSession> {
    const rec = this.container(id);
    if (opts.tty) return this.execTty(id, cmd, opts);
    return execSession(this.d.oci.execArgv(id, cmd, { user: rec.user }), opts);
  }

  /**
   * exec -t as containerd builds it: the container's own process spec (env, user, cwd,
   * capabilities) with the command, a terminal and its first size (consoleSize). crun sets that
   * size from its parent once the pty exists, after it let the process start: the process is the
   * node's tty-ready first (passed on fd 3), which execs the command once the size is there, so
   * even a command reading its size at its very first instant has it.
   */
  private async execTty(id: string, cmd: string[], opts: ExecOptions): Promise<StreamSession> {
    const dir = this.store.containerDir(id);
    const spec = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as { process: Record<string, unknown> };
    const size = { cols: clampSize(opts.cols, 80), rows: clampSize(opts.rows, 24) };
    const file = join(dir, `exec-${randomBytes(6).toString('hex')}.json`);
    const proc = {
      ...spec.process,
      args: [TTY_READY_ARGV0, ...cmd],
      terminal: true,
      consoleSize: { width: size.cols, height: size.rows },
    };
    writeFileSync(file, JSON.stringify(proc), { mode: 0o600 });
    const session = execSession(this.d.oci.execConsoleArgv(id, file, size), opts);
    void session.wait().finally(() => rm(file, { force: true }));
    return session;
  }

  async attach(id: string, opts: { stdin?: boolean } = {}): Promise<StreamSession> {
    const rec = this.container(id);
    const pump = this.pumps.get(id);
    if (!pump) throw new RuntimeError(`container ${id.slice(0, 12)} is not running`);
    const dir = this.store.containerDir(id);
    // A container started without stdin: true has none to attach to (its stdin is /dev/null), nor
    // has a stdinOnce one whose first attach is over.
    const fifo = join(dir, 'stdin.fifo');
    const withStdin = !!opts.stdin && existsSync(fifo) && !rec.stdinClosed;
    return attachSession(pump, {
      ...(withStdin ? { stdinFifo: fifo } : {}),
      ...(rec.tty ? { resizeFifo: join(dir, 'resize.fifo') } : {}),
      // containerd closes a stdinOnce container's stdin when the attach's input ends, not with a
      // TTY (kubectl's end of a terminal session is no reliable end of input): containerd#1373.
      ...(withStdin && rec.stdinOnce && !rec.tty ? { onStdinEnd: () => this.closeStdinOnce(rec) } : {}),
    });
  }

  /** The first attach with input of a stdinOnce container ended: its stdin reads EOF from now on. */
  private closeStdinOnce(rec: ContainerRecord): void {
    rec.stdinClosed = true;
    if (this.store.containers.has(rec.id)) this.store.putContainer(rec);
    this.releaseStdin(rec.id);
  }

  private releaseStdin(id: string): void {
    const fd = this.stdinHolds.get(id);
    if (fd === undefined) return;
    this.stdinHolds.delete(id);
    closeFd(fd);
  }

  /** The container's current state; an exit the node's init recorded is stored with its code and reason. */
  private async refresh(rec: ContainerRecord): Promise<ContainerStatus['state']> {
    if (rec.finishedAt !== undefined) return 'CONTAINER_EXITED';
    if (rec.startedAt === undefined) return 'CONTAINER_CREATED';
    const exit = await readExit(rec, {
      exitDir: this.d.node.exitDir,
      cgroups: this.d.cgroups,
      alive: (r) => this.hostAlive(r),
    });
    if (!exit) return 'CONTAINER_RUNNING';
    Object.assign(rec, exit);
    this.store.putContainer(rec);
    return 'CONTAINER_EXITED';
  }

  private async waitExit(rec: ContainerRecord, ms: number): Promise<boolean> {
    const until = Date.now() + ms;
    for (;;) {
      if ((await this.refresh(rec)) === 'CONTAINER_EXITED') return true;
      if (Date.now() > until) return false;
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  private container(id: string): ContainerRecord {
    const rec = this.store.containers.get(id);
    if (!rec) throw new NotFoundError(`container ${id.slice(0, 12)}`);
    return rec;
  }

  private track(id: string, pump: ContainerLogPump): void {
    this.pumps.set(id, pump);
    void pump.ended().then(() => this.pumps.delete(id));
  }

  /** The container's init as the host sees it: the only process of its fresh cgroup. */
  private async hostProcess(cgroup: string): Promise<{ hostPid?: number; hostStart?: number }> {
    const [pid] = await this.d.cgroups.procs(cgroup);
    if (!pid) return {};
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { hostPid: pid, hostStart: Number(fields[19]) };
  }

  private async hostAlive(rec: { hostPid?: number; hostStart?: number }): Promise<boolean> {
    if (!rec.hostPid) return false;
    return (await this.d.driver.alive([{ pid: rec.hostPid, startTime: rec.hostStart ?? 0 }]))[0]!;
  }
}

function clampSize(v: number | undefined, fallback: number): number {
  return v && Number.isFinite(v) && v > 0 ? Math.min(Math.floor(v), 10000) : fallback;
}
