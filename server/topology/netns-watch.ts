// Kernel events for the live topology, instead of polling every namespace twice a second.
//
// Per lab namespace, one rtnetlink socket held by this process (runtime/kernel/rtnl-namespace.ts:
// opened inside the namespace by the netns addon, subscribed to link, address, route, neighbour,
// FDB and nsid notifications): a notification marks the namespace dirty, and the same socket then
// dumps its state, so no process is spawned per namespace, per event or per read. (Before: one
// long-lived `ip monitor` per namespace plus one `ip -j -batch` and one `bridge fdb` per read.)
//
// A socket inside a namespace holds the namespace alive, so /run/netns is watched (fs.watch): the
// moment a namespace's file goes, its socket is closed and `ip netns del` frees it as before. A
// socket is never reopened for a name that no longer exists. Sockets are this process's file
// descriptors: they end with it, whatever kills it.
import { existsSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { RtnlNamespace } from '../../runtime/kernel/rtnl-namespace.js';

export interface NetnsWatchDeps {
  prefix: string;
  netnsDir: string;
  /** A namespace's kernel state changed (or it appeared or disappeared). */
  onChange: (ns: string) => void;
  /** The set of namespaces may have changed (a file in netnsDir came or went). */
  onListChange: () => void;
  log: (line: string) => void;
}

/** A namespace that cannot be entered yet is tried again this often, up to RETRIES times (~10 s). */
const RETRY_MS = 250;
const RETRIES = 40;

export class NetnsWatch {
  private readonly monitors = new Map<string, RtnlNamespace>();
  private dirWatcher: FSWatcher | undefined;
  private closed = false;
  /** Namespaces whose socket could not be opened yet, with the attempts made. */
  private readonly retries = new Map<string, number>();
  private retryTimer: NodeJS.Timeout | undefined;

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
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.retries.clear();
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

  /** The socket watching `ns`, for reads (undefined when `ns` is not watched). */
  socket(ns: string): RtnlNamespace | undefined {
    return this.monitors.get(ns);
  }

  private startMonitor(ns: string): void {
    let sock: RtnlNamespace;
    try {
      sock = RtnlNamespace.open(ns, this.d.netnsDir);
    } catch (err) {
      // Gone between the listing and now: nothing to watch. There but not enterable: most likely
      // caught between `ip netns add` creating its file (the event that brought us here) and
      // mounting the namespace on it, which under load takes a while; no event tells when the
      // mount is done, so look again a few times before giving up on it.
      if (!existsSync(join(this.d.netnsDir, ns))) return;
      const tries = (this.retries.get(ns) ?? 0) + 1;
      this.retries.set(ns, tries);
      if (tries > RETRIES) {
        this.retries.delete(ns);
        this.d.log(`topology: no netlink socket in ${ns}: ${(err as Error).message}`);
        return;
      }
      this.retryTimer ??= setTimeout(() => {
        this.retryTimer = undefined;
        if (!this.closed) this.d.onListChange();
      }, RETRY_MS);
      this.retryTimer.unref();
      return;
    }
    this.retries.delete(ns);
    this.monitors.set(ns, sock);
    sock.watch(() => this.d.onChange(ns));
  }

  private stopMonitor(ns: string): void {
    const sock = this.monitors.get(ns);
    this.monitors.delete(ns);
    sock?.close();
  }
}
