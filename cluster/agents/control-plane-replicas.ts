// kube-scheduler and kube-controller-manager as replicated processes, the way a highly available
// control plane runs them: each replica is its own process (`kubewire scheduler`,
// `kubewire controller-manager`), a client of the apiserver through its kubeconfig, and the
// replicas of one component elect a leader through their Lease (client-go's leaderelection:
// cluster/leader). This supervisor plays the part of the kubelet that runs them as static pods:
// a replica that exits (a learner's kill -9 of the leader, a crash) is started again after a
// back-off (1 s doubling to 10 s; back to 1 s once a replica ran a minute), as a new process with a
// new identity, `<hostname>_<uuid>` as kube generates it.
//
// Every replica is a process of the lab: a child of the cluster process, so it inherits its cgroup
// mark, and moved into the lab's `_cluster` leaf explicitly (a daemon started outside the lab's
// cgroup, as tests do, still leaves nothing that reset misses); it exits by itself when its parent
// is gone (--exit-with-parent). Its command line starts with the component's name (argv0), so
// `ps -ef | grep kube-scheduler` finds it and its `--identity` is the Lease's holderIdentity.
//
// What the supervisor saw is written to `control-plane.json` in the lab's folder: every replica's
// pid, identity and whether it holds its Lease now, and the last exits (who, how, whether it was
// leading), for `kubewire status` and the lab's checks.
import type { ChildProcess } from 'node:child_process';
import { closeSync, openSync, renameSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Lease } from '../../common/api-types.js';
import { describeError } from '../../common/errors.js';
import { spawnWithFds } from '../../runtime/host/spawn.js';
import type { Clock } from '../client/clock.js';

/** What the control-plane replicas' supervisor saw, in the lab's folder. */
export const CONTROL_PLANE_STATUS_FILE = 'control-plane.json';

export const CONTROL_PLANE_COMPONENTS = ['kube-scheduler', 'kube-controller-manager'] as const;
export type ControlPlaneComponent = (typeof CONTROL_PLANE_COMPONENTS)[number];

/** The kubewire subcommand of each component. */
const SUBCOMMAND: Record<ControlPlaneComponent, string> = {
  'kube-scheduler': 'scheduler',
  'kube-controller-manager': 'controller-manager',
};

export interface ReplicaStatus {
  component: ControlPlaneComponent;
  /** 0-based replica number (names its log: logs/<component>-<n>.log). */
  replica: number;
  pid: number;
  /** Kernel start time (field 22 of /proc/<pid>/stat): pid plus this names one process. */
  startTime: number;
  /** Its Lease holderIdentity, `<hostname>_<uuid>`. */
  identity: string;
  startedAt: string;
  /** How often this replica slot was started again. */
  restarts: number;
  /** Holds its component's Lease (as last read). */
  leading: boolean;
}

export interface ReplicaExit {
  component: ControlPlaneComponent;
  replica: number;
  pid: number;
  identity: string;
  at: string;
  code: number | null;
  signal: string | null;
  /** It held the Lease when it exited (a standby must take over). */
  wasLeader: boolean;
}

export interface ControlPlaneStatus {
  replicas: ReplicaStatus[];
  /** The newest last, at most MAX_EXITS. */
  exits: ReplicaExit[];
}

const MAX_EXITS = 50;

export interface ControlPlaneReplicasOptions {
  /** How to run kubewire: [node, dist/cli/main.js]. */
  command: string[];
  replicas: number;
  /** Arguments of each component's subcommand (kubeconfig, certificates, ...). */
  args: Record<ControlPlaneComponent, string[]>;
  logDir: string;
  /** control-plane.json. */
  statusFile: string;
  /** Reads a component's Lease in kube-system (undefined when absent). */
  lease(name: ControlPlaneComponent): Promise<Lease | undefined>;
  /** Marks a started replica as the lab's (joins the lab's cgroup). */
  mark?(pid: number): void;
  /** Kernel start time of a pid (undefined when it is gone). */
  startTime(pid: number): Promise<number | undefined>;
  clock: Clock;
  /** Restart back-off (1 s doubling to 10 s by default). */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** How often the Leases are read for `leading` (the leader election retry period, 2 s). */
  leasePollMs?: number;
  log(line: string): void;
}

interface Slot {
  component: ControlPlaneComponent;
  replica: number;
  restarts: number;
  backoffMs: number;
  child?: ChildProcess;
  status?: ReplicaStatus;
  cancelRestart?: () => void;
}

export class ControlPlaneReplicas {
  private readonly slots: Slot[] = [];
  private readonly exits: ReplicaExit[] = [];
  private stopped = false;
  private cancelPoll: (() => void) | undefined;
  private writes: Promise<void> = Promise.resolve();

  constructor(private readonly o: ControlPlaneReplicasOptions) {
    if (!Number.isInteger(o.replicas) || o.replicas < 1)
      throw new Error(`control plane replicas: ${o.replicas} is not a positive integer`);
    for (const component of CONTROL_PLANE_COMPONENTS)
      for (let replica = 0; replica < o.replicas; replica++)
        this.slots.push({ component, replica, restarts: 0, backoffMs: this.initialBackoff });
  }

  private get initialBackoff(): number {
    return this.o.initialBackoffMs ?? 1000;
  }

  /** Starts every replica; resolves once each has a pid. */
  async start(): Promise<void> {
    for (const slot of this.slots) await this.launch(slot);
    this.poll();
  }

  status(): ControlPlaneStatus {
    return {
      replicas: this.slots.flatMap((s) => (s.status ? [{ ...s.status }] : [])),
      exits: this.exits.map((e) => ({ ...e })),
    };
  }

  /** SIGTERM to every replica (they hand their Leases back), SIGKILL after `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    this.stopped = true;
    this.cancelPoll?.();
    const running: Promise<void>[] = [];
    for (const slot of this.slots) {
      slot.cancelRestart?.();
      const child = slot.child;
      if (!child || child.exitCode !== null || child.signalCode !== null) continue;
      running.push(
        new Promise<void>((resolve) => {
          const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
          child.once('exit', () => {
            clearTimeout(t);
            resolve();
          });
          child.kill('SIGTERM');
        }),
      );
    }
    await Promise.all(running);
    await this.writes;
  }

  private async launch(slot: Slot): Promise<void> {
    if (this.stopped) return;
    const identity = `${hostname()}_${crypto.randomUUID()}`;
    const log = join(this.o.logDir, `${slot.component}-${slot.replica}.log`);
    const fd = openSync(log, 'a');
    const [program, ...pre] = this.o.command;
    let child: ChildProcess;
    try {
      child = spawnWithFds(
        program!,
        [
          ...pre,
          SUBCOMMAND[slot.component],
          ...this.o.args[slot.component],
          '--identity',
          identity,
          '--exit-with-parent',
        ],
        // argv0: `ps` shows the component's name first, as it shows a real control plane's.
        { argv0: slot.component, stdio: ['ignore', fd, fd] },
      );
    } finally {
      closeSync(fd);
    }
    slot.child = child;
    // 'close', not 'exit': a start that failed (fork refused under load) emits 'error' and 'close'
    // but no 'exit', which left the slot empty for good; now the back-off and a new start follow.
    child.once('close', (code, signal) => void this.exited(slot, child, code, signal));
    child.once('error', (err) => this.o.log(`${slot.component}-${slot.replica}: cannot start: ${describeError(err)}`));
    const pid = child.pid;
    if (pid === undefined) return; // 'error' and 'close' follow: the back-off applies
    try {
      this.o.mark?.(pid);
    } catch (err) {
      // Unmarked, reset could miss it after a crash of the daemon: do not keep it.
      this.o.log(`${slot.component}-${slot.replica}: cannot mark pid ${pid} as the lab's: ${describeError(err)}`);
      child.kill('SIGKILL');
      return;
    }
    const startTime = (await this.o.startTime(pid)) ?? 0;
    if (slot.child !== child) return;
    slot.status = {
      component: slot.component,
      replica: slot.replica,
      pid,
      startTime,
      identity,
      startedAt: new Date(this.o.clock.now()).toISOString(),
      restarts: slot.restarts,
      leading: false,
    };
    this.o.log(`${slot.component}-${slot.replica}: started pid ${pid} as ${identity} (log ${log})`);
    this.save();
  }

  private async exited(slot: Slot, child: ChildProcess, code: number | null, signal: string | null): Promise<void> {
    if (slot.child !== child) return;
    const st = slot.status;
    slot.child = undefined;
    slot.status = undefined;
    // Was it leading? The Lease still names a holder that died without releasing it (kill -9);
    // one that stopped gracefully handed it back, so the last poll's answer counts too.
    let wasLeader = st?.leading ?? false;
    if (st && !this.stopped) {
      try {
        wasLeader = (await this.o.lease(slot.component))?.spec.holderIdentity === st.identity || wasLeader;
      } catch (err) {
        this.o.log(`${slot.component}: cannot read its Lease: ${describeError(err)}`);
      }
    }
    if (st) {
      this.exits.push({
        component: slot.component,
        replica: slot.replica,
        pid: st.pid,
        identity: st.identity,
        at: new Date(this.o.clock.now()).toISOString(),
        code,
        signal,
        wasLeader,
      });
      this.exits.splice(0, Math.max(0, this.exits.length - MAX_EXITS));
    }
    if (this.stopped) return;
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    this.o.log(
      `${slot.component}-${slot.replica}: pid ${st?.pid ?? '?'} ${how}${wasLeader ? ' while leading' : ''}; starting it again in ${slot.backoffMs} ms`,
    );
    this.save();
    // A replica that ran for a while earns the short back-off again; a crash loop waits longer.
    const ranMs = st ? this.o.clock.now() - Date.parse(st.startedAt) : 0;
    const delay = ranMs >= 60_000 ? this.initialBackoff : slot.backoffMs;
    slot.backoffMs = Math.min(delay * 2, this.o.maxBackoffMs ?? 10_000);
    slot.cancelRestart = this.o.clock.setTimer(() => {
      slot.cancelRestart = undefined;
      slot.restarts++;
      void this.launch(slot);
    }, delay);
  }

  /** Reads both Leases now and then, so `leading` follows the elections. */
  private poll(): void {
    if (this.stopped) return;
    this.cancelPoll = this.o.clock.setTimer(() => {
      void this.readLeases().finally(() => this.poll());
    }, this.o.leasePollMs ?? 2000);
  }

  private async readLeases(): Promise<void> {
    let changed = false;
    for (const component of CONTROL_PLANE_COMPONENTS) {
      let holder: string | undefined;
      try {
        holder = (await this.o.lease(component))?.spec.holderIdentity ?? '';
      } catch {
        continue; // the apiserver is busy or stopping: keep what was known
      }
      for (const s of this.slots) {
        if (s.component !== component || !s.status) continue;
        const leading = s.status.identity === holder;
        if (leading !== s.status.leading) {
          s.status.leading = leading;
          changed = true;
        }
      }
    }
    if (changed) this.save();
  }

  private save(): void {
    const text = JSON.stringify(this.status(), null, 1) + '\n';
    this.writes = this.writes.then(() => {
      try {
        writeFileSync(`${this.o.statusFile}.tmp`, text);
        renameSync(`${this.o.statusFile}.tmp`, this.o.statusFile);
      } catch (err) {
        this.o.log(`control plane: cannot write ${this.o.statusFile}: ${describeError(err)}`);
      }
    });
  }
}

/** `kubewire status`'s control-plane table: each replica, its pid (dead ones marked) and who leads. */
export function formatControlPlane(s: ControlPlaneStatus, alive: (r: ReplicaStatus) => boolean): string {
  const lines = ['CONTROL PLANE              PID      LEADS  IDENTITY (Lease holderIdentity)'];
  for (const r of s.replicas)
    lines.push(
      `${`${r.component}-${r.replica}`.padEnd(26)} ${`${r.pid}${alive(r) ? '' : '(dead)'}`.padEnd(8)} ${(r.leading ? 'yes' : '-').padEnd(6)} ${r.identity}`,
    );
  const died = s.exits.filter((e) => e.wasLeader).length;
  if (s.exits.length)
    lines.push(`${s.exits.length} replica exit(s) restarted, ${died} of them while leading (control-plane.json)`);
  return lines.join('\n');
}
