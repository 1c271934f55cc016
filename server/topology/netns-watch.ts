// Kernel events for the live topology, instead of polling every namespace twice a second.
//
// Per lab namespace, one long-lived `ip -n NS monitor link address nsid`: its lines are only a
// trigger ("this namespace changed"); the state itself is still read by the `ip -j -batch` reader,
// so there is one parser. `ip` rather than the `netlink` npm package: a Node process cannot setns
// per socket, so a socket inside another namespace needs a process there anyway, and iproute2's
// is the one already on every lab machine. Routes and neighbours are not watched: the graph does
// not draw them (the details panel and path tracer read them on demand), and ARP churn would cost
// re-reads for frames that never change.
//
// A monitor's netlink socket holds its namespace alive and shows in `ip netns pids`, so:
// - /run/netns is watched (fs.watch, no process): the moment a namespace's file goes, its monitor
//   gets SIGKILL, so `ip netns del` frees the namespace as before;
// - a monitor that ends (reset or netns-down killed it) is not restarted until the caller's slow
//   safety read, and only if the namespace still exists, so it never races a deletion in progress;
// - each monitor runs through lab-exec.sh in the lab's `watchers` cgroup leaf, so `kubewire reset`
//   ends it even after a kill -9 of the UI server.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';

export interface NetnsWatchDeps {
  prefix: string;
  netnsDir: string;
  /** lab-exec.sh; without it (tests of hand-built namespaces) monitors run unmarked. */
  labExec?: string;
  /** A namespace's kernel state changed (or it appeared or disappeared). */
  onChange: (ns: string) => void;
  /** The set of namespaces may have changed (a file in netnsDir came or went). */
  onListChange: () => void;
  log: (line: string) => void;
}

export class NetnsWatch {
  private readonly monitors = new Map<string, ChildProcess>();
  private dirWatcher: FSWatcher | undefined;
  private closed = false;

  constructor(private readonly d: NetnsWatchDeps) {}

  /** Starts watching netnsDir; false when it does not exist yet (the caller retries). */
  watchDir(): boolean {
    if (this.dirWatcher || this.closed) return true;
    try {
      this.dirWatcher = watch(this.d.netnsDir, { persistent: false }, (_event, file) =>
        this.onDirEvent(file ? String(file) : undefined),
      );
      this.dirWatcher.on('error', () => {
        this.dirWatcher?.close();
        this.dirWatcher = undefined; // e.g. /run/netns removed: the next safety read re-arms it
      });
      return true;
    } catch {
      return false;
    }
  }

  /** Makes the set of monitors match `names` (the namespaces that exist now). */
  sync(names: readonly string[]): void {
    if (this.closed) return;
    const want = new Set(names);
    for (const ns of [...this.monitors.keys()]) if (!want.has(ns)) this.stopMonitor(ns);
    for (const ns of want) if (!this.monitors.has(ns)) this.startMonitor(ns);
  }

  watching(): string[] {
    return [...this.monitors.keys()].sort();
  }

  close(): void {
    this.closed = true;
    this.dirWatcher?.close();
    this.dirWatcher = undefined;
    for (const ns of [...this.monitors.keys()]) this.stopMonitor(ns);
  }

  private onDirEvent(file: string | undefined): void {
    if (this.closed) return;
    // Gone: end its monitor before anything else, so the namespace is freed now.
    if (file && this.monitors.has(file) && !existsSync(join(this.d.netnsDir, file))) this.stopMonitor(file);
    if (file && !file.startsWith(this.d.prefix)) return;
    this.d.onListChange();
  }

  private startMonitor(ns: string): void {
    const argv = ['-n', ns, 'monitor', 'link', 'address', 'nsid'];
    const child = this.d.labExec
      ? spawn(this.d.labExec, [this.d.prefix, 'watchers', '--', 'ip', ...argv], {
          stdio: ['ignore', 'pipe', 'pipe'],
          env: { ...process.env, LC_ALL: 'C' },
        })
      : spawn('ip', argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    this.monitors.set(ns, child);
    let stderr = '';
    child.stdout!.on('data', () => this.d.onChange(ns));
    child.stderr!.on('data', (b: Buffer) => {
      stderr = (stderr + b.toString('utf8')).slice(-300);
    });
    child.on('error', (err) => this.d.log(`topology: ip monitor in ${ns} could not start: ${err.message}`));
    child.on('exit', (code, signal) => {
      if (this.monitors.get(ns) !== child) return; // stopped on purpose
      this.monitors.delete(ns);
      // Killed by reset or a namespace teardown, or the namespace went: the next safety read decides.
      if (signal !== 'SIGKILL' && existsSync(join(this.d.netnsDir, ns)))
        this.d.log(`topology: ip monitor in ${ns} ended (${signal ?? code}): ${stderr.trim()}`);
      this.d.onChange(ns);
    });
  }

  private stopMonitor(ns: string): void {
    const child = this.monitors.get(ns);
    this.monitors.delete(ns);
    child?.kill('SIGKILL');
  }
}
