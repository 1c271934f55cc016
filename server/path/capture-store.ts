// Captures a probe on every point of a derived path at once: one tcpdump per (namespace, device),
// started with an argument array and a filter built only from validated addresses, bounded by a
// packet count and a deadline, stopped with SIGINT (so the file is complete) and SIGKILL after a
// grace period. The pcap files stay in a private folder until evicted or disposed.
import type { ChildProcess } from 'node:child_process';
import { execa } from 'execa';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubewireError } from '../../common/errors.js';
import type { CaptureFile, CapturePoint, PathCapture, PathTrace } from '../../common/path-model.js';
import { isIpv4 } from '../../common/net/ipv4.js';
import { INTERFACE_NAME, NAMESPACE_NAME } from '../../common/lab-names.js';
import { countPcapPackets } from './pcap-reader.js';

export const CAPTURE_ID = /^[0-9a-f]{16}$/;
export const CAPTURE_FILE = /^[A-Za-z0-9_.-]{1,120}\.pcap$/;

export interface CaptureOptions {
  packets: number;
  seconds: number;
  /** Sends the traffic once every tcpdump listens. */
  probe: () => Promise<void>;
}

export interface CaptureStoreDeps {
  now: () => number;
  /** How many captures to keep on disk; older ones are deleted. */
  keep: number;
  log: (line: string) => void;
  /** Parent of the private capture folder (default: the OS temp folder). */
  baseDir?: string;
  /** Time for tcpdump to say it is listening. */
  readyTimeoutMs?: number;
  /** native-scripts/lab-exec.sh: captures run inside their lab's cgroup. */
  labExec?: string;
}

/** `host A and host B [and udp port P]`, only from addresses that parse as IPv4. */
export function captureFilter(p: CapturePoint): string {
  const hosts = p.match.hosts.filter((h) => isIpv4(h));
  const parts = [...new Set(hosts)].map((h) => `host ${h}`);
  if (
    p.match.udpPort !== undefined &&
    Number.isInteger(p.match.udpPort) &&
    p.match.udpPort > 0 &&
    p.match.udpPort < 65536
  )
    parts.push(`udp port ${p.match.udpPort}`);
  return parts.join(' and ');
}

export function captureFileName(index: number, p: CapturePoint, label: string): string {
  const safe = (s: string): string => s.replace(/[^A-Za-z0-9_.-]+/g, '_').slice(0, 50);
  return `${String(index + 1).padStart(2, '0')}-${safe(label)}-${safe(p.dev)}.pcap`;
}

interface Running {
  child: ChildProcess;
  exited: Promise<void>;
  stderr: string;
}

export class CaptureStore {
  private dir: Promise<string> | undefined;
  private dirPath: string | undefined;
  private readonly captures = new Map<string, Map<string, string>>();

  constructor(private readonly d: CaptureStoreDeps) {}

  async capture(trace: PathTrace, o: CaptureOptions): Promise<PathCapture> {
    const t0 = this.d.now();
    const id = randomBytes(8).toString('hex');
    const folder = join(await this.folder(), id);
    await import('node:fs/promises').then((fs) => fs.mkdir(folder, { mode: 0o700 }));
    const points = trace.capturePoints.filter((p) => NAMESPACE_NAME.test(p.namespace) && INTERFACE_NAME.test(p.dev));
    const plan = points.map((p, i) => ({
      point: p,
      name: captureFileName(i, p, p.label.replace('/', '_')),
      filter: captureFilter(p),
    }));
    const running: Running[] = [];
    try {
      for (const { point, name, filter } of plan)
        running.push(this.start(point, join(folder, name), o.packets, o.seconds, filter));
      await Promise.all(running.map((r) => this.ready(r)));
      const startMs = this.d.now() - t0;
      const tp = this.d.now();
      let deadline: NodeJS.Timeout | undefined;
      await Promise.race([o.probe(), new Promise<void>((res) => (deadline = setTimeout(res, o.seconds * 1000)))]);
      clearTimeout(deadline);
      const probeMs = this.d.now() - tp;
      // -U writes each packet as it comes; give the last replies a moment to arrive everywhere.
      await Promise.race([Promise.all(running.map((r) => r.exited)), sleep(300)]);
      await Promise.all(running.map((r) => stop(r)));
      const files: CaptureFile[] = [];
      const names = new Map<string, string>();
      for (const [i, { point, name, filter }] of plan.entries()) {
        const path = join(folder, name);
        const st = await stat(path).catch(() => undefined);
        if (!st) {
          this.d.log(
            `capture: no file from tcpdump in ${point.namespace} on ${point.dev}: ${running[i]!.stderr.trim().slice(-200)}`,
          );
          continue;
        }
        names.set(name, path);
        files.push({
          name,
          namespace: point.namespace,
          dev: point.dev,
          role: point.role,
          filter,
          packets: countPcapPackets(await readFile(path)),
          bytes: st.size,
          url: `/api/pcap/${id}/${name}`,
        });
      }
      this.captures.set(id, names);
      await this.evict();
      return {
        id,
        trace,
        files,
        timing: { startMs: Math.round(startMs), probeMs: Math.round(probeMs), totalMs: Math.round(this.d.now() - t0) },
      };
    } catch (err) {
      await Promise.all(running.map((r) => stop(r)));
      throw new KubewireError('capture failed', { cause: err });
    }
  }

  /** The file behind a download URL, or undefined: only names this store wrote are served. */
  path(id: string, name: string): string | undefined {
    if (!CAPTURE_ID.test(id) || !CAPTURE_FILE.test(name)) return undefined;
    return this.captures.get(id)?.get(name);
  }

  async dispose(): Promise<void> {
    this.captures.clear();
    if (this.dir) await rm(await this.dir, { recursive: true, force: true });
    this.dir = undefined;
    this.dirPath = undefined;
  }

  /** For a process 'exit' hook: removes the folder without waiting (an orderly exit missed dispose). */
  disposeSync(): void {
    if (this.dirPath) rmSync(this.dirPath, { recursive: true, force: true });
  }

  private folder(): Promise<string> {
    // The owner's pid in the name lets the next server remove folders a killed one left.
    this.dir ??= mkdtemp(join(this.d.baseDir ?? tmpdir(), `kubewire-captures-${process.pid}-`)).then(
      (p) => (this.dirPath = p),
    );
    return this.dir;
  }

  private async evict(): Promise<void> {
    const ids = [...this.captures.keys()];
    for (const old of ids.slice(0, Math.max(0, ids.length - this.d.keep))) {
      this.captures.delete(old);
      await rm(join(await this.folder(), old), { recursive: true, force: true });
    }
  }

  private start(p: CapturePoint, file: string, packets: number, seconds: number, filter: string): Running {
    // --immediate-mode: without it packets wait in the ring buffer for a 1 s block timeout and a stop
    // loses them. -Z root: Debian's tcpdump drops to its own user before opening the -w file in our 0700 folder.
    // timeout(1) bounds each tcpdump even if this server dies mid-capture (it forwards our SIGINT).
    const argv = [
      'netns',
      'exec',
      p.namespace,
      'timeout',
      '-s',
      'INT',
      '-k',
      '2',
      String(seconds + 5),
      'tcpdump',
      '-i',
      p.dev,
      '-n',
      '-U',
      '--immediate-mode',
      '-Z',
      'root',
      '-s',
      '262144',
      '-c',
      String(packets),
      '-w',
      file,
      filter,
    ];
    // Inside the lab's cgroup (the namespace's mark names the lab), so a reset ends a capture
    // whose server died.
    const [program, ...args] = this.d.labExec
      ? [this.d.labExec, '--netns', p.namespace, 'captures', '--', 'ip', ...argv]
      : ['ip', ...argv];
    const child = execa(program!, args, { stdio: ['ignore', 'ignore', 'pipe'], buffer: false, reject: false });
    const r: Running = {
      child,
      stderr: '',
      exited: child.then((res) => {
        // A start that failed: its reason (naming the command) is what `ready` reports.
        if (res.exitCode === undefined && !res.signal) r.stderr += String(res.shortMessage);
      }),
    };
    child.stderr.setEncoding('utf8').on('data', (s: string) => (r.stderr += s));
    return r;
  }

  private ready(r: Running): Promise<void> {
    const timeout = this.d.readyTimeoutMs ?? 5000;
    return new Promise((resolve, reject) => {
      const check = (): boolean => /listening on/.test(r.stderr);
      if (check()) return resolve();
      const timer = setTimeout(
        () =>
          reject(
            new KubewireError(`tcpdump did not start listening within ${timeout} ms: ${r.stderr.trim().slice(-200)}`),
          ),
        timeout,
      );
      const onData = (): void => {
        if (check()) {
          clearTimeout(timer);
          resolve();
        }
      };
      r.child.stderr!.on('data', onData);
      void r.exited.then(() => {
        clearTimeout(timer);
        if (check()) resolve();
        else reject(new KubewireError(`tcpdump exited: ${r.stderr.trim().slice(-200)}`));
      });
    });
  }
}

async function stop(r: Running): Promise<void> {
  if (r.child.exitCode !== null || r.child.signalCode !== null) return;
  r.child.kill('SIGINT');
  const done = await Promise.race([r.exited.then(() => true), sleep(1000).then(() => false)]);
  if (!done) {
    r.child.kill('SIGKILL');
    await r.exited;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Removes capture folders whose owning process is gone (killed with -9, crashed). */
export function sweepStaleCaptureFolders(
  baseDir: string = tmpdir(),
  alive: (pid: number) => boolean = pidAlive,
): string[] {
  const removed: string[] = [];
  for (const name of readdirSync(baseDir)) {
    const m = /^kubewire-captures-([1-9][0-9]{0,9})-[A-Za-z0-9]{6}$/.exec(name);
    if (!m || alive(Number(m[1]))) continue;
    rmSync(join(baseDir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
