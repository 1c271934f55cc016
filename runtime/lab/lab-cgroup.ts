// The mark every process of a lab carries: membership of the lab's cgroup. A cgroup is inherited
// by every child, cannot be shed by exec, env -i or double-forking, and outlives whoever started
// the process (the UI server, `up`, the cluster process), so `reset` finds and ends a lab's
// processes after a kill -9 of any of them; a PID list or an environment variable would not.
//
// Layout, the same on every hierarchy (native-scripts/lib.sh's kw_cgroup_* mirror it), shared with
// the container runtime (native-scripts/node-container.sh, node-sweep.sh):
//   <root>/<prefix>kubewire/             the lab (never holds processes itself)
//     _procs/                            proc-start.sh: relays, the Internet, pre-crun pods
//     _cluster/                          the cluster process
//     _guide/                            a guided step's solve/check and what they leave running
//     _terminals/                        lab terminal shells (and what a learner starts in them)
//     _captures/                         packet captures
//     _watchers/                         long-lived watchers (the topology's `ip monitor`s were here; it now holds rtnetlink sockets, no process)
//     <node>/…                           a node container and crun's pods in it (cri's)
// Leaves start with `_`, which no node name has. Every process lives in a leaf, so cgroup v2's
// "no internal processes" rule holds when node-container.sh enables controllers on the lab.
//
// The tracking hierarchy: pure cgroup v2 → /sys/fs/cgroup; hybrid (v1 controllers plus an empty
// v2 at /sys/fs/cgroup/unified, as systemd does for its own tracking) → the unified one, so no v1
// controller's accounting changes; v1 only → the pids controller, else name=systemd. Other v1
// hierarchies are looked at too when killing and removing, since crun creates the container's
// path in every controller it uses.
import { existsSync, readdirSync, readFileSync, rmdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { KubewireError } from '../../common/errors.js';
import { LAB_PREFIX, isDnsLabel } from '../../common/names.js';

/** The lab's cgroup is named `<prefix>kubewire` in every hierarchy. */
export const LAB_CGROUP_SUFFIX = 'kubewire';
export const LAB_LEAVES = ['procs', 'cluster', 'guide', 'terminals', 'captures', 'watchers'] as const;
export type LabLeaf = (typeof LAB_LEAVES)[number];

export class LabCgroupError extends KubewireError {}

export interface CgroupHierarchy {
  version: 1 | 2;
  /** Mount point of the hierarchy used for the mark. */
  root: string;
}

/** The hierarchy that holds the marks; $KUBEWIRE_CGROUP_ROOT (a cgroup mount) overrides, for tests. */
export function trackingHierarchy(env: NodeJS.ProcessEnv = process.env, base = '/sys/fs/cgroup'): CgroupHierarchy {
  const forced = env.KUBEWIRE_CGROUP_ROOT;
  if (forced) {
    if (!forced.startsWith('/sys/fs/cgroup') || forced.includes('..'))
      throw new LabCgroupError(
        `KUBEWIRE_CGROUP_ROOT ${JSON.stringify(forced)} is not a cgroup mount under /sys/fs/cgroup`,
      );
    return { version: existsSync(join(forced, 'cgroup.controllers')) ? 2 : 1, root: forced };
  }
  if (existsSync(join(base, 'cgroup.controllers'))) return { version: 2, root: base };
  if (existsSync(join(base, 'unified', 'cgroup.controllers'))) return { version: 2, root: join(base, 'unified') };
  for (const v1 of ['pids', 'systemd'])
    if (existsSync(join(base, v1, 'cgroup.procs'))) return { version: 1, root: join(base, v1) };
  throw new LabCgroupError(`no cgroup hierarchy found under ${base}: labs cannot mark their processes`);
}

/** Every mounted cgroup hierarchy (v1 controllers and v2), from /proc/mounts. */
export function cgroupMounts(mounts = readFileSync('/proc/mounts', 'utf8')): string[] {
  return mounts
    .split('\n')
    .map((l) => l.split(' '))
    .filter((f) => f[2] === 'cgroup' || f[2] === 'cgroup2')
    .map((f) => f[1]!.replace(/\\040/g, ' '));
}

export class LabCgroup {
  constructor(
    readonly hierarchy: CgroupHierarchy,
    readonly prefix: string,
    /** Hierarchies searched when killing and removing (default: every cgroup mount). */
    private readonly allRoots: () => string[] = () => [...new Set([hierarchy.root, ...cgroupMounts()])],
  ) {
    if (!LAB_PREFIX.test(prefix)) throw new LabCgroupError(`${JSON.stringify(prefix)} is not a lab prefix`);
  }

  static of(prefix: string): LabCgroup {
    return new LabCgroup(trackingHierarchy(), prefix);
  }

  /** The lab's cgroup folder name, relative to any hierarchy's root. */
  get name(): string {
    return `${this.prefix}${LAB_CGROUP_SUFFIX}`;
  }

  /** The lab's cgroup in the tracking hierarchy. */
  get dir(): string {
    return join(this.hierarchy.root, this.name);
  }

  leaf(leaf: LabLeaf): string {
    return join(this.dir, `_${leaf}`);
  }

  /** A node's cgroup parent (relative to each hierarchy's root), as node-container.sh makes it. */
  nodePath(node: string): string {
    if (!isDnsLabel(node)) throw new LabCgroupError(`node ${JSON.stringify(node)} cannot name a cgroup`);
    return `/${this.name}/${node}`;
  }

  /** Puts a process into a leaf of the lab (creating it). Its children inherit the mark. */
  join(leaf: LabLeaf, pid: number): void {
    mkdirSync(this.leaf(leaf), { recursive: true });
    writeFileSync(join(this.leaf(leaf), 'cgroup.procs'), `${pid}\n`);
  }

  /** Every process in the lab's cgroups, in any hierarchy. */
  pids(): number[] {
    const out = new Set<number>();
    for (const root of this.allRoots())
      for (const d of subtree(join(root, this.name))) for (const p of procsOf(d)) out.add(p);
    return [...out].sort((a, b) => a - b);
  }

  /**
   * SIGKILLs every process of the lab until none is left (a process forking while we read is
   * caught by the next round). This process is first moved out of the lab if it is inside (a
   * `kubewire reset` typed in a lab terminal).
   */
  async kill(timeoutMs = 10_000): Promise<number[]> {
    this.leaveIfInside();
    const killed = new Set<number>();
    const until = Date.now() + timeoutMs;
    for (;;) {
      const pids = this.pids().filter((p) => p !== process.pid);
      if (pids.length === 0) return [...killed];
      if (Date.now() > until)
        throw new LabCgroupError(`processes of lab ${this.prefix} survive SIGKILL: ${pids.join(' ')}`);
      const killFile = join(this.dir, 'cgroup.kill');
      if (this.hierarchy.version === 2 && existsSync(killFile)) {
        try {
          writeFileSync(killFile, '1\n');
        } catch {
          // Older kernels (< 5.14) have no cgroup.kill: the signals below do the same.
        }
      }
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
          killed.add(pid);
        } catch {
          // Exited meanwhile.
        }
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /**
   * Removes the lab's (empty) cgroup tree in every hierarchy, leaves first; returns the folders
   * removed. A process SIGKILLed a moment ago leaves cgroup.procs before the kernel unlinks it from
   * its cgroup, so rmdir can still say EBUSY: each folder is retried for up to `busyMs`.
   */
  remove(busyMs = 2_000): string[] {
    const removed: string[] = [];
    for (const root of this.allRoots()) {
      for (const d of subtree(join(root, this.name)).reverse()) if (rmdirRetrying(d, busyMs)) removed.push(d);
    }
    return removed;
  }

  private leaveIfInside(): void {
    const mine = readFileSync('/proc/self/cgroup', 'utf8');
    if (!mine.includes(`:/${this.name}/`)) return;
    for (const root of this.allRoots()) {
      try {
        writeFileSync(join(root, 'cgroup.procs'), `${process.pid}\n`);
      } catch {
        // Not every hierarchy lets a process move to its root; the kill loop skips our own pid.
      }
    }
  }
}

/** Prefixes of every lab that has a cgroup, in any hierarchy. */
export function labCgroupPrefixes(
  roots: string[] = [...new Set([trackingHierarchy().root, ...cgroupMounts()])],
): string[] {
  const out = new Set<string>();
  for (const root of roots) {
    for (const name of listDirs(root)) {
      const prefix = name.slice(0, -LAB_CGROUP_SUFFIX.length);
      if (name.endsWith(LAB_CGROUP_SUFFIX) && LAB_PREFIX.test(prefix)) out.add(prefix);
    }
  }
  return [...out].sort();
}

/** rmdir of a cgroup, retried while it is busy (a dying process); false when it was already gone. */
function rmdirRetrying(dir: string, busyMs: number): boolean {
  const until = Date.now() + busyMs;
  for (;;) {
    try {
      rmdirSync(dir);
      return true;
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return false;
      if (code !== 'EBUSY' || Date.now() > until) throw new LabCgroupError(`cannot remove cgroup ${dir}`, { cause });
      // remove() is synchronous (reset's last step, and callers outside async code): a short
      // blocking pause is what a retry costs here.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
    }
  }
}

/** A folder and every folder below it, parents first; empty when it does not exist. */
function subtree(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out = [dir];
  for (const child of listDirs(dir)) out.push(...subtree(join(dir, child)));
  return out;
}

function listDirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
  } catch {
    return [];
  }
}

function procsOf(dir: string): number[] {
  try {
    return readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}
