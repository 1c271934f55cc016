// The one module that imports node:child_process (eslint.config.js forbids it everywhere else):
// the project starts programs with execa, with argument arrays, never a shell string. What stays
// here is what execa costs too much for or cannot do:
//  - runQuick: short programs run many times over (the UI's topology poll runs `ip` per namespace
//    twice a second; `up` runs a few dozen helpers, iptables-save and iptables-restore per
//    namespace). execa's stream plumbing costs 2-2.5 times the CPU of a bare spawn per call
//    (measured on this lab's machine: 5.5 vs 2.3 ms for /bin/true, 6.2 vs 3.3 ms for the poll's `ip`).
//    Where the netns addon is built the cluster process uses posix_spawn instead (kernel/light-spawn.ts).
//  - `netns`: a program started inside a network namespace by the thread that entered it
//    (kernel/netns-enter.ts withNetns), which needs the fork to happen inside that synchronous call;
//    runQuick does it without relying on how execa orders its work before spawning.
//  - spawnWithFds: a program whose stdin, stdout, stderr or fd 3 is an open fd of this process (a
//    lab log file, a container's FIFOs, the terminal on stdout as stty's stdin): execa's types accept
//    only some fd numbers there (0-9, and for stdin not 1 or 2).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { withNetns } from '../kernel/netns-enter.js';

export interface QuickResult {
  /** The exit code, null when a signal ended it. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The time limit ran out and the program was killed (SIGKILL). */
  timedOut: boolean;
}

export interface QuickOptions {
  /** Written to its stdin (which is /dev/null without it). */
  input?: string;
  /** Killed with SIGKILL after this long (default: no limit). */
  timeoutMs?: number;
  /** Its whole environment (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** Path of a network namespace (/run/netns/NAME, /proc/PID/ns/net) to start it in. */
  netns?: string;
  /** Output (stdout and stderr each) beyond this is an error; the program is killed. Default 64 MiB. */
  maxBuffer?: number;
}

/** A program that could not be started, or whose output outgrew its bound: names the command. */
export class QuickRunError extends Error {}

/**
 * Runs `file args` (no shell) to its end with stdout and stderr as text. Resolves whatever the exit
 * status; rejects with a QuickRunError naming the command when it cannot be started (missing
 * program, gone namespace) or printed more than `maxBuffer`.
 */
export function runQuick(file: string, args: readonly string[], opts: QuickOptions = {}): Promise<QuickResult> {
  const what = [file, ...args].join(' ').slice(0, 300);
  const maxBuffer = opts.maxBuffer ?? 64 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    const start = () =>
      spawn(file, [...args], {
        stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
        ...(opts.env ? { env: opts.env } : {}),
      });
    let child: ChildProcess;
    try {
      child = opts.netns ? withNetns(opts.netns, start) : start();
    } catch (cause) {
      reject(new QuickRunError(`cannot start ${what}: ${(cause as Error).message}`, { cause }));
      return;
    }
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let failure: Error | undefined;
    const timer =
      opts.timeoutMs !== undefined
        ? setTimeout(() => {
            timedOut = true;
            child.kill('SIGKILL');
          }, opts.timeoutMs)
        : undefined;
    const collect = (name: 'stdout' | 'stderr') => (d: string) => {
      if (name === 'stdout') stdout += d;
      else stderr += d;
      if (!failure && (name === 'stdout' ? stdout : stderr).length > maxBuffer) {
        failure = new QuickRunError(`${what}: its ${name} exceeded ${maxBuffer} bytes`);
        child.kill('SIGKILL');
      }
    };
    child.stdout!.setEncoding('utf8').on('data', collect('stdout'));
    child.stderr!.setEncoding('utf8').on('data', collect('stderr'));
    child.on('error', (cause) => {
      failure ??= new QuickRunError(`cannot start ${what}: ${cause.message}`, { cause });
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      if (failure) reject(failure);
      else resolve({ exitCode: code, signal, stdout, stderr, timedOut });
    });
    if (child.stdin) {
      child.stdin.on('error', () => undefined); // a program that exits without reading its input
      child.stdin.end(opts.input);
    }
  });
}

export type FdStdio = number | 'pipe' | 'ignore';

/**
 * Starts `file args` (no shell) with stdio[i] as its fd i: an fd of this process (the caller closes
 * its copy afterwards), a pipe or /dev/null. `detached`: its own session and process group (it
 * outlives this process). The caller listens for 'error' (a start that failed emits 'error' and
 * 'close', no 'exit') and for its end.
 */
export function spawnWithFds(
  file: string,
  args: readonly string[],
  opts: { stdio: FdStdio[]; detached?: boolean; argv0?: string },
): ChildProcess {
  return spawn(file, [...args], {
    stdio: opts.stdio,
    ...(opts.detached ? { detached: true } : {}),
    ...(opts.argv0 ? { argv0: opts.argv0 } : {}),
  });
}

/**
 * spawnWithFds run to its end, synchronously (pod-exec's `stty` on the terminal that is this
 * process's stdout, around a raw session): its exit status (null when killed) and output as text.
 */
export function runSyncWithFds(
  file: string,
  args: readonly string[],
  stdio: FdStdio[],
): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(file, [...args], { stdio, encoding: 'utf8' });
  return { status: r.error ? null : r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? r.error?.message ?? '' };
}
