// What the kubelet's streaming server needs from the container runtime (CRI's Exec, Attach and
// PortForward): a process inside a container with stdio, an optional TTY that can be resized, and
// its exit code; and a byte stream to a port inside a pod's network namespace. `NsenterStreamRuntime`
// is the runtime of this lab's pods (a container is a process joined to its pod's namespaces, see
// runtime/pod/pod-runtime.ts): exec enters the container process's mount, UTS, IPC and network
// namespaces with nsenter (its mount namespace is the one `ip netns exec` made, so the pod's
// /etc/resolv.conf and hosts apply); port-forward connects to the pod's loopback with a socket
// made inside the pod's network namespace, as containerd's PortForward does.
import { constants as osConstants } from 'node:os';
import { execa } from 'execa';
import { connectIn } from '../../../runtime/kernel/netns-enter.js';
import { createRequire } from 'node:module';
import { PassThrough, type Duplex, type Readable, type Writable } from 'node:stream';

export interface ExecTarget {
  /** Pid of the container's process (joined namespaces are taken from it). */
  pid: number;
  env: { name: string; value: string }[];
  hostname: string;
}

export interface ExecOptions {
  tty: boolean;
  stdin: boolean;
  cols?: number;
  rows?: number;
}

export interface StreamProcess {
  /** Input (absent when stdin was not asked for). */
  stdin?: Writable;
  stdout: Readable;
  /** Absent with a TTY (its output is merged into stdout, as a terminal does). */
  stderr?: Readable;
  resize(cols: number, rows: number): void;
  kill(): void;
  /** Exit code (128 + signal for a signal). */
  exited: Promise<number>;
}

export interface StreamRuntime {
  exec(t: ExecTarget, argv: string[], o: ExecOptions): StreamProcess;
  /** A connection to 127.0.0.1:port inside the pod's network namespace (the pause process's). */
  portForward(sandboxPid: number, port: number): Duplex;
}

interface Pty {
  onData(fn: (d: Buffer | string) => void): void;
  onExit(fn: (e: { exitCode: number; signal?: number }) => void): void;
  write(d: Buffer | string): void;
  resize(cols: number, rows: number): void;
  kill(signal?: string): void;
}
type PtySpawn = (file: string, args: string[], o: Record<string, unknown>) => Pty;

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export class NsenterStreamRuntime implements StreamRuntime {
  private ptySpawn: PtySpawn | undefined;

  exec(t: ExecTarget, argv: string[], o: ExecOptions): StreamProcess {
    if (!Number.isInteger(t.pid) || t.pid <= 1) throw new Error(`bad container pid ${t.pid}`);
    if (!argv.length) throw new Error('no command');
    const env: Record<string, string> = { PATH: DEFAULT_PATH, HOSTNAME: t.hostname, HOME: '/root' };
    for (const e of t.env) env[e.name] = e.value;
    const args = ['-t', String(t.pid), '-m', '-u', '-i', '-n', '--wd', '--', ...argv];
    return o.tty ? this.withPty(args, env, o) : withPipes(args, env, o.stdin);
  }

  portForward(sandboxPid: number, port: number): Duplex {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`bad port ${port}`);
    if (!Number.isInteger(sandboxPid) || sandboxPid <= 1) throw new Error(`bad sandbox pid ${sandboxPid}`);
    // A socket made in the pod's network namespace, connected to its loopback: what containerd's
    // PortForward does (netns.Do + net.Dial), with no process or pipe in between.
    return connectIn(`/proc/${sandboxPid}/ns/net`, '127.0.0.1', port);
  }

  private withPty(args: string[], env: Record<string, string>, o: ExecOptions): StreamProcess {
    this.ptySpawn ??= (createRequire(import.meta.url)('node-pty') as { spawn: PtySpawn }).spawn;
    const pty = this.ptySpawn('nsenter', args, {
      name: 'xterm',
      cols: o.cols || 80,
      rows: o.rows || 24,
      cwd: '/',
      env: { ...env, TERM: 'xterm' },
      encoding: null,
    });
    const stdout = new PassThrough();
    pty.onData((d) => stdout.write(typeof d === 'string' ? Buffer.from(d) : d));
    const exited = new Promise<number>((resolve) =>
      pty.onExit((e) => {
        stdout.end();
        resolve(e.signal ? 128 + e.signal : e.exitCode);
      }),
    );
    const stdin = o.stdin ? new PassThrough() : undefined;
    stdin?.on('data', (d: Buffer) => pty.write(d));
    // A terminal's end of input is ^D, as the real runtime's tty does when stdin closes.
    stdin?.on('end', () => pty.write('\x04'));
    return {
      stdin,
      stdout,
      resize: (c, r) => c > 0 && r > 0 && pty.resize(c, r),
      kill: () => pty.kill('SIGKILL'),
      exited,
    };
  }
}

function withPipes(args: string[], env: Record<string, string>, wantStdin: boolean): StreamProcess {
  // env is the container's whole environment (extendEnv: false): nothing of this process leaks in.
  const child = execa('nsenter', args, {
    env,
    extendEnv: false,
    stdio: [wantStdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    buffer: false,
    reject: false,
  });
  // 126: nsenter could not be started (as a shell says); 128 + n for signal n.
  const exited = child.then((r) => r.exitCode ?? (r.signal ? 128 + (osConstants.signals[r.signal] ?? 0) : 126));
  child.stdin?.on('error', () => undefined);
  return {
    stdin: child.stdin ?? undefined,
    stdout: child.stdout,
    stderr: child.stderr,
    resize: () => undefined,
    kill: () => child.kill('SIGKILL'),
    exited,
  };
}
