// Starts a short-lived program without fork(2): posix_spawn from the netns addon (native/addon/
// netns.c), which glibc implements with clone(CLONE_VM | CLONE_VFORK), so the parent's page tables
// are not copied. The cluster process holds the apiserver, the store and every kubelet; child_process
// forked all ~180 MB of it for each crun, nsenter and helper a pod needs (the largest item of its
// profile while 40 pods started: 12.5 s of 45 s on its main thread). Exit statuses are collected
// by polling waitpid(WNOHANG) for the children started here (libuv reaps only its own).
import { closeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Socket } from 'node:net';
import { constants as osConstants } from 'node:os';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { netnsAddon } from '../project-root.js';

interface SpawnAddon {
  spawn(file: string, argv: string[], fds: number[], netns?: string): Promise<number>;
  reap(pid: number): [number, number] | undefined;
  pipe(): [number, number];
  mkfifo(path: string, mode: number): void;
}

let addon: SpawnAddon | null | undefined;
function load(): SpawnAddon | null {
  if (addon !== undefined) return addon;
  try {
    const a = createRequire(import.meta.url)(netnsAddon()) as Partial<SpawnAddon>;
    addon = typeof a.spawn === 'function' && typeof a.reap === 'function' ? (a as SpawnAddon) : null;
  } catch {
    addon = null;
  }
  return addon;
}

/** Whether the addon can start programs (else callers use execa, or host/spawn.ts for short runs). */
export function lightSpawnAvailable(): boolean {
  return process.env.KUBEWIRE_SPAWN !== 'fork' && load() !== null;
}

/** mkfifo(3) in this process; false when the addon is not built (the caller runs mkfifo(1)). */
export function mkfifoLight(path: string, mode: number): boolean {
  const a = load();
  if (!a?.mkfifo) return false;
  a.mkfifo(path, mode);
  return true;
}

export type LightStdio = 'pipe' | 'ignore' | number;

export interface LightChild {
  pid: number;
  stdin?: Socket;
  /** Readable ends of the child's piped fds, by fd number (1: stdout, 2: stderr, 3 …). */
  out: Map<number, Socket>;
  /** The exit: code (null when killed) and the signal's name. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): void;
}

const waiting = new Map<number, (r: [number, number]) => void>();
let timer: NodeJS.Timeout | undefined;

function poll(): void {
  const a = load()!;
  for (const [pid, done] of waiting) {
    let r: [number, number] | undefined;
    try {
      r = a.reap(pid);
    } catch {
      r = [-1, 0]; // ECHILD: someone else reaped it
    }
    if (r) {
      waiting.delete(pid);
      done(r);
    }
  }
  if (!waiting.size && timer) {
    clearInterval(timer);
    timer = undefined;
  }
}

/** Resolves the program like execvp would, once per name (posix_spawn takes a path). */
const paths = new Map<string, string>();
function resolve(file: string): string {
  if (file.includes('/')) return file;
  let p = paths.get(file);
  if (!p) {
    p =
      (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin')
        .split(':')
        .filter((d) => d.startsWith('/'))
        .map((d) => join(d, file))
        .find((f) => existsSync(f)) ?? file;
    paths.set(file, p);
  }
  return p;
}

/**
 * Starts `file args` with stdio[i] as its fd i: 'pipe' (a pipe to this process), 'ignore'
 * (/dev/null) or an fd of this process (kept open by the caller until this resolves). Rejects
 * when the program cannot be started. With `reapAfter`, its exit is looked for only once that
 * settles (lightRun: once its output pipes closed, i.e. it is exiting), not every 2 ms while it runs.
 * With `netns` (/run/netns/NAME) it is born in that network namespace (no nsenter in front).
 */
export async function lightSpawn(
  file: string,
  args: readonly string[],
  stdio: LightStdio[],
  opts: { reapAfter?: Promise<unknown>; netns?: string } = {},
): Promise<LightChild> {
  const a = load();
  if (!a) throw new Error('the netns addon is not built (npm run build)');
  const childFds: number[] = [];
  const mine: { fd: number; parentEnd: number; write: boolean }[] = [];
  const toClose: number[] = [];
  try {
    stdio.forEach((s, i) => {
      if (s === 'pipe') {
        const [r, w] = a.pipe();
        const write = i === 0;
        mine.push({ fd: i, parentEnd: write ? w : r, write });
        childFds.push(write ? r : w);
        toClose.push(write ? r : w);
      } else childFds.push(s === 'ignore' ? -1 : s);
    });
    const pid = await (opts.netns === undefined
      ? a.spawn(resolve(file), [file, ...args], childFds)
      : a.spawn(resolve(file), [file, ...args], childFds, opts.netns));
    for (const fd of toClose.splice(0)) closeSync(fd);
    const out = new Map<number, Socket>();
    let stdin: Socket | undefined;
    for (const m of mine) {
      const sock = new Socket({ fd: m.parentEnd, readable: !m.write, writable: m.write });
      if (m.write) stdin = sock;
      else out.set(m.fd, sock);
    }
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => {
      const wait = () => {
        waiting.set(pid, ([code, sig]) => {
          const name = sig
            ? ((Object.entries(osConstants.signals).find(([, n]) => n === sig)?.[0] as NodeJS.Signals) ?? null)
            : null;
          res({ code: sig ? null : code, signal: name });
        });
        if (!timer) {
          timer = setInterval(poll, 2);
          timer.unref();
        }
      };
      if (opts.reapAfter) void opts.reapAfter.then(wait, wait);
      else wait();
    });
    // A child must be waited for even if nobody holds its promise: keep the loop alive meanwhile.
    const keep = setInterval(() => undefined, 1 << 30);
    void exited.finally(() => clearInterval(keep));
    return {
      pid,
      out,
      ...(stdin ? { stdin } : {}),
      exited,
      kill: (signal: NodeJS.Signals = 'SIGTERM') => {
        try {
          process.kill(pid, signal);
        } catch {
          // gone
        }
      },
    };
  } catch (err) {
    for (const fd of toClose) closeSync(fd);
    for (const m of mine) closeSync(m.parentEnd);
    throw err;
  }
}

/** Runs a program to its end: its exit code (128+signal when killed), stdout and stderr as text. */
export async function lightRun(
  file: string,
  args: readonly string[],
  opts: { input?: string; timeoutMs?: number; netns?: string } = {},
): Promise<{ exitCode: number; stdout: string; stderr: string; timedOut: boolean }> {
  // Its exit is polled for once both output pipes closed: a second `up` waiting on seven
  // iptables-save children spent ~70 ms of its main thread in 2 ms waitpid polls before.
  let pipesClosed!: () => void;
  const reapAfter = new Promise<void>((r) => (pipesClosed = r));
  const child = await lightSpawn(file, args, [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], {
    reapAfter,
    ...(opts.netns === undefined ? {} : { netns: opts.netns }),
  });
  const text = (s: Socket | undefined) =>
    new Promise<string>((res) => {
      if (!s) return res('');
      let t = '';
      s.setEncoding('utf8');
      s.on('data', (d: string) => (t += d));
      s.on('error', () => res(t));
      s.on('close', () => res(t));
    });
  const [stdout, stderr] = [text(child.out.get(1)), text(child.out.get(2))];
  void Promise.all([stdout, stderr]).then(pipesClosed);
  if (child.stdin) {
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  }
  let timedOut = false;
  const timer = opts.timeoutMs
    ? setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, opts.timeoutMs)
    : undefined;
  const r = await child.exited;
  if (timer) clearTimeout(timer);
  const exitCode = r.code ?? 128 + (r.signal ? (osConstants.signals[r.signal] ?? 0) : 0);
  return { exitCode, stdout: await stdout, stderr: await stderr, timedOut };
}
