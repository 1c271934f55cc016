// Exec and Attach as streams: ExecSync collects output, Exec gives a live process (a pty when
// tty is asked, so resize works), Attach follows the container's own stdout/stderr as they reach
// its log. The kubelet's server (kubectl exec/attach) builds on these.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { PassThrough } from 'node:stream';
import type { ContainerLogPump } from './container-log.js';
import type { ExecOptions, ExecSyncResult, StreamSession } from './cri-types.js';

interface Pty {
  onData(cb: (d: string) => void): void;
  onExit(cb: (e: { exitCode: number; signal?: number }) => void): void;
  write(d: string): void;
  resize(cols: number, rows: number): void;
  kill(signal?: string): void;
}
type PtySpawn = (
  file: string,
  args: string[],
  opts: { cols: number; rows: number; name: string; env: NodeJS.ProcessEnv },
) => Pty;

export async function execSync(argv: string[], timeoutSeconds: number): Promise<ExecSyncResult> {
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = timeoutSeconds > 0 ? setTimeout(() => child.kill('SIGKILL'), timeoutSeconds * 1000) : undefined;
  const exitCode = await new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, sig) => resolve(code ?? (sig ? 137 : 1)));
  });
  if (timer) clearTimeout(timer);
  return { exitCode, stdout, stderr };
}

export function execSession(argv: string[], opts: ExecOptions): StreamSession {
  if (opts.tty) {
    const pty = (createRequire(import.meta.url)('node-pty') as { spawn: PtySpawn }).spawn(argv[0]!, argv.slice(1), {
      cols: opts.cols ?? 80,
      rows: opts.rows ?? 24,
      name: 'xterm-256color',
      env: { ...process.env, TERM: 'xterm-256color' },
    });
    const stdout = new PassThrough();
    const stdin = new PassThrough();
    stdin.on('data', (d: Buffer) => pty.write(d.toString()));
    pty.onData((d) => stdout.write(d));
    const exited = new Promise<number>((resolve) =>
      pty.onExit((e) => {
        stdout.end();
        resolve(e.exitCode);
      }),
    );
    return {
      stdin,
      stdout,
      stderr: undefined,
      resize: (c, r) => pty.resize(c, r),
      wait: () => exited,
      close: () => pty.kill('SIGKILL'),
    };
  }
  const child = spawn(argv[0]!, argv.slice(1), { stdio: [opts.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number>((resolve) => {
    child.on('error', () => resolve(126));
    child.on('close', (code, sig) => resolve(code ?? (sig ? 137 : 1)));
  });
  return {
    stdin: child.stdin ?? undefined,
    stdout: child.stdout!,
    stderr: child.stderr!,
    resize: () => undefined,
    wait: () => exited,
    close: () => child.kill('SIGKILL'),
  };
}

export function attachSession(pump: ContainerLogPump): StreamSession {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const onOut = (d: string) => stdout.write(d);
  const onErr = (d: string) => stderr.write(d);
  let finish!: (code: number) => void;
  const done = new Promise<number>((r) => (finish = r));
  const close = () => {
    pump.off('stdout', onOut);
    pump.off('stderr', onErr);
    stdout.end();
    stderr.end();
    finish(0);
  };
  pump.on('stdout', onOut);
  pump.on('stderr', onErr);
  pump.once('end', close);
  return { stdin: undefined, stdout, stderr, resize: () => undefined, wait: () => done, close };
}
