// Exec and Attach as streams: ExecSync collects output, Exec gives a live process (a pty when
// tty is asked, so resize works), Attach follows the container's own stdout/stderr as they reach
// its log. The kubelet's server (kubectl exec/attach) builds on these.
import type { ChildProcess } from 'node:child_process';
import { closeSync, constants, openSync, writeSync } from 'node:fs';
import { Socket } from 'node:net';
import { PassThrough, type Writable } from 'node:stream';
import { execa } from 'execa';
import { spawnWithFds } from '../host/spawn.js';
import type { ContainerLogPump } from './container-log.js';
import { RuntimeError, type ExecOptions, type ExecSyncResult, type StreamSession } from './cri-types.js';

export async function execSync(argv: string[], timeoutSeconds: number): Promise<ExecSyncResult> {
  const r = await execa(argv[0]!, argv.slice(1), {
    stdin: 'ignore',
    reject: false,
    stripFinalNewline: false,
    ...(timeoutSeconds > 0 ? { timeout: timeoutSeconds * 1000, killSignal: 'SIGKILL' as const } : {}),
  });
  if (r.exitCode === undefined && !r.signal) throw new RuntimeError(String(r.shortMessage));
  return { exitCode: r.exitCode ?? 137, stdout: r.stdout, stderr: r.stderr };
}

/**
 * A live exec. With a TTY, `argv` is the exec console's (OciRuntime.execConsoleArgv): its stdout is
 * the terminal's output, its stdin the keys, and its fd 3 takes resizes; no pty is held here.
 */
export function execSession(argv: string[], opts: ExecOptions): StreamSession & { child: ChildProcess } {
  const tty = !!opts.tty;
  const child = execa(argv[0]!, argv.slice(1), {
    stdio: [opts.stdin || tty ? 'pipe' : 'ignore', 'pipe', 'pipe', ...(tty ? (['pipe'] as const) : [])],
    buffer: false,
    reject: false,
  });
  // 126: it could not be started (as a shell says); a signal counts as SIGKILL's 137.
  const exited = child.then((r) => r.exitCode ?? (r.signal ? 137 : 126));
  child.stdin?.on('error', () => undefined);
  const control = tty ? (child.stdio[3] as Writable) : undefined;
  control?.on('error', () => undefined);
  let err = '';
  if (tty) child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4096)));
  return {
    child,
    stdin: opts.stdin ? (child.stdin ?? undefined) : undefined,
    stdout: child.stdout!,
    // With a terminal the process's stderr is the terminal; the console's own complaints stay here.
    stderr: tty ? undefined : child.stderr!,
    resize: (c, r) => {
      if (control && c > 0 && r > 0) control.write(`${Math.floor(c)} ${Math.floor(r)}\n`);
    },
    wait: () => exited,
    // A hang-up for a terminal (the process gets SIGHUP, as when a terminal window closes).
    close: () => (control ? control.end() : child.kill('SIGKILL')),
  };
}

/**
 * The exec console in hold mode (OciRuntime.createHeldArgv): a terminal session like exec -t's,
 * and `created`, which settles once the runtime's create is done (the console says so on stderr)
 * or failed (its complaint is the error).
 */
export function heldSession(argv: string[]): { session: StreamSession; created: Promise<void> } {
  const session = execSession(argv, { tty: true, stdin: true });
  const child = session.child;
  let err = '';
  const created = new Promise<void>((resolve, reject) => {
    const onErr = (d: Buffer) => {
      err += d.toString();
      if (/^created$/m.test(err)) {
        child.stderr!.off('data', onErr);
        resolve();
      }
    };
    child.stderr!.on('data', onErr);
    void session.wait().then((code) => reject(new RuntimeError(`create: ${err.trim() || `exit ${code}`}`)));
  });
  created.catch(() => undefined);
  return { session, created };
}

/**
 * The exec console in hold mode for a container of the pod's spec with `tty: true`, as conmon or
 * containerd's shim hold a container's terminal: it creates the container (OciRuntime.createHeldArgv),
 * then relays the pty on its own, independent of this process — the terminal's output into the
 * container's stdout FIFO (its log), `stdin` (the stdin FIFO) into the terminal, "COLS ROWS" lines
 * from `control` (the resize FIFO) onto it — until the container's last process closed it.
 * Settles once the create is done (the console says "created") or failed (its complaint).
 */
export function spawnHeldConsole(
  argv: string[],
  fds: { stdin?: number; stdout: number; control: number },
  timeoutMs = 60_000,
): Promise<void> {
  // Its own session: it outlives this process (a restarted runtime finds the container as it was).
  const child = spawnWithFds(argv[0]!, argv.slice(1), {
    stdio: [fds.stdin ?? 'ignore', fds.stdout, 'pipe', fds.control],
    detached: true,
  });
  return new Promise<void>((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => {
      err += `no answer within ${timeoutMs / 1000} s; `;
      child.kill('SIGKILL');
    }, timeoutMs);
    const onExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new RuntimeError(`create: ${err.trim() || `exit ${code}`}`));
    };
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('exit', onExit);
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (!/^created$/m.test(err)) return;
      clearTimeout(timer);
      child.off('exit', onExit);
      // What it might say later has no reader (SIGPIPE is ignored there); nothing here waits for it.
      child.stderr!.destroy();
      child.unref();
      resolve();
    });
  });
}

export interface AttachStreams {
  /** The FIFO the container (or its terminal's console) reads as stdin; the client's input goes there. */
  stdinFifo?: string;
  /** A container with a terminal: its console's resize FIFO ("COLS ROWS\n" lines). */
  resizeFifo?: string;
  /** Called once when this session's input has ended (stdinOnce closes the container's stdin then). */
  onStdinEnd?: () => void;
}

/**
 * Attach: the container's output from now on (as its log pump reads it) and, with `stdinFifo`,
 * its input: what the client types is written into the FIFO the container reads as stdin.
 */
export function attachSession(pump: ContainerLogPump, o: AttachStreams = {}): StreamSession {
  let stdin: Socket | undefined;
  if (o.stdinFifo) {
    // Non-blocking: the container holds the read end, so the open never waits.
    const fd = openSync(o.stdinFifo, constants.O_WRONLY | constants.O_NONBLOCK);
    stdin = new Socket({ fd, readable: false, writable: true });
    stdin.on('error', () => undefined);
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      o.onStdinEnd?.();
    };
    stdin.once('finish', end);
    stdin.once('close', end);
  }
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const onOut = (d: string) => stdout.write(d);
  const onErr = (d: string) => stderr.write(d);
  let finish!: (code: number) => void;
  const done = new Promise<number>((r) => (finish = r));
  const close = () => {
    pump.off('stdout', onOut);
    pump.off('stderr', onErr);
    stdin?.destroy();
    stdout.end();
    stderr.end();
    finish(0);
  };
  pump.on('stdout', onOut);
  pump.on('stderr', onErr);
  pump.once('end', close);
  const resize = (cols: number, rows: number) => {
    if (!o.resizeFifo || !(cols > 0 && rows > 0)) return;
    try {
      // The console holds the read end; a few bytes never block.
      const fd = openSync(o.resizeFifo, constants.O_WRONLY | constants.O_NONBLOCK);
      try {
        writeSync(fd, `${Math.floor(cols)} ${Math.floor(rows)}\n`);
      } finally {
        closeSync(fd);
      }
    } catch {
      /* the console is gone with the container */
    }
  };
  return { stdin, stdout, stderr, resize, wait: () => done, close };
}
