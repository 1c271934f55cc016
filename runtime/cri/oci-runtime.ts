// The OCI runtime binary (crun, runc as the fallback) invoked inside a node container. Bundles are
// created through native-scripts/container-create.sh (overlayfs root + `create`), removed through
// container-remove.sh; start/kill/exec are the runtime's own verbs. Never a shell string.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { lightRun, lightSpawn, lightSpawnAvailable } from '../kernel/light-spawn.js';
import { spawnWithFds } from '../host/spawn.js';
import type { NodeContainer } from './node-container.js';
import { RuntimeError } from './cri-types.js';

export type OciRuntimeName = 'crun' | 'runc';

/** argv[0] of an exec -t process under execConsoleArgv: the tty-ready program on fd 3. */
export const TTY_READY_ARGV0 = '/proc/self/fd/3';

const CREATE_TIMEOUT_MS = 60_000;

/** crun where installed (faster, smaller), else runc; KUBEWIRE_OCI_RUNTIME forces one. */
export function pickOciRuntime(env: NodeJS.ProcessEnv = process.env): OciRuntimeName {
  const forced = env.KUBEWIRE_OCI_RUNTIME;
  if (forced === 'crun' || forced === 'runc') return forced;
  const onPath = (bin: string) => (env.PATH ?? '/usr/sbin:/usr/bin').split(':').some((d) => existsSync(join(d, bin)));
  if (onPath('crun')) return 'crun';
  if (onPath('runc')) return 'runc';
  throw new RuntimeError('neither crun nor runc is installed (Debian packages crun or runc)');
}

export interface CreateStdio {
  stdin?: number;
  stdout: number;
  stderr: number;
}

export class OciRuntime {
  constructor(
    readonly name: OciRuntimeName,
    /** The runtime's --root (its state folder), on the node's state folder. */
    readonly root: string,
    private readonly node: NodeContainer,
    private readonly scriptsDir: string,
  ) {}

  /** Mounts the bundle's overlayfs root and runs `create`; the container's stdio are `stdio`. */
  async create(id: string, bundle: string, lowerdirs: string[], stdio: CreateStdio): Promise<number> {
    const script = join(this.scriptsDir, 'container-create.sh');
    const argv = this.node.enter([script, this.name, this.root, id, bundle, lowerdirs.join(':')]);
    let complaint = '';
    let code: number;
    if (lightSpawnAvailable() && [stdio.stdin ?? 3, stdio.stdout, stdio.stderr].every((fd) => fd > 2)) {
      // posix_spawn (light-spawn.ts): the cluster process's page tables are not copied per container.
      const child = await lightSpawn(argv[0]!, argv.slice(1), [
        stdio.stdin ?? 'ignore',
        stdio.stdout,
        stdio.stderr,
        'pipe',
      ]);
      const fd3 = child.out.get(3)!;
      fd3.on('data', (d: Buffer) => (complaint += d.toString()));
      fd3.on('error', () => undefined);
      const timer = setTimeout(() => {
        complaint += `no answer within ${CREATE_TIMEOUT_MS / 1000} s; `;
        child.kill('SIGKILL');
      }, CREATE_TIMEOUT_MS);
      const r = await child.exited.finally(() => clearTimeout(timer));
      // The complaint pipe closes with the script (its fd 3 is closed before the runtime runs).
      await new Promise((res) => (fd3.closed ? res(undefined) : fd3.once('close', res)));
      code = r.code ?? 128;
    } else {
      const child = spawnWithFds(argv[0]!, argv.slice(1), {
        stdio: [stdio.stdin ?? 'ignore', stdio.stdout, stdio.stderr, 'pipe'],
      });
      child.stdio[3]?.on('data', (d: Buffer) => (complaint += d.toString()));
      // Bounded like every other runtime call: a create stuck under load fails (and is cleaned up
      // by the caller) instead of holding one of the kubelet's sync slots forever.
      const timer = setTimeout(() => {
        complaint += `no answer within ${CREATE_TIMEOUT_MS / 1000} s; `;
        child.kill('SIGKILL');
      }, CREATE_TIMEOUT_MS);
      code = await new Promise<number>((resolve, reject) => {
        child.on('error', reject);
        child.on('close', (c, sig) => resolve(c ?? (sig ? 128 : 1)));
      }).finally(() => clearTimeout(timer));
    }
    if (code !== 0) {
      const log = await readFile(join(bundle, 'runtime.log'), 'utf8').catch(() => '');
      throw new RuntimeError(
        `${this.name} create ${id.slice(0, 12)}: ${(complaint + lastLines(log)).trim() || `exit ${code}`}`,
      );
    }
    const pid = Number((await readFile(join(bundle, 'pid'), 'utf8')).trim());
    if (!Number.isInteger(pid) || pid <= 0)
      throw new RuntimeError(`${this.name} create ${id.slice(0, 12)}: no pid file`);
    return pid;
  }

  async start(id: string): Promise<void> {
    await this.run(['start', id]);
  }

  async kill(id: string, signal: 'TERM' | 'KILL' | string): Promise<void> {
    await this.run(['kill', id, signal], true);
  }

  /** Deletes the container (killing what still runs) and unmounts its root; gone is fine. */
  async delete(id: string, bundle: string): Promise<void> {
    const argv = this.node.enter([join(this.scriptsDir, 'container-remove.sh'), this.name, this.root, id, bundle]);
    const r = await execa(argv[0]!, argv.slice(1), { reject: false, timeout: 30_000 });
    if (r.exitCode !== 0) throw new RuntimeError(`${this.name} delete ${id.slice(0, 12)}: ${r.stderr || r.stdout}`);
  }

  /**
   * argv of `exec -t` under the node's exec console (native/exec-console.c, as conmon does): the
   * process is `processFile` (an OCI process with terminal and consoleSize, so the runtime sizes
   * the pty before the process runs), the runtime hands the pty's master to the console, which
   * relays stdin/stdout and applies resizes arriving on its fd 3 as "COLS ROWS\n" lines.
   * The process's fd 3 is the node's tty-ready program (TTY_READY_ARGV0 runs it), which waits for
   * the terminal's size before it execs the command: crun sets consoleSize after the command may
   * already run, runc before.
   * runc takes a console socket only from an exec that detaches (`exec --tty` without --detach
   * answers "cannot use console socket if runc will not detach or allocate tty"): then it exits
   * once the process runs, leaving its pid in a file, and the console, the child subreaper the
   * process falls to, waits for it (--detached), as conmon does. crun keeps the process as its
   * child and passes its exit code on.
   */
  execConsoleArgv(id: string, processFile: string, size: { cols: number; rows: number }): string[] {
    const cfg = this.node.cfg;
    const detach = this.name === 'runc';
    return this.node.enter([
      join(dirname(cfg.initBinary), 'exec-console'),
      ...(detach ? ['--detached'] : []),
      '--ready',
      join(dirname(cfg.initBinary), 'tty-ready'),
      String(size.cols),
      String(size.rows),
      join(cfg.stateDir, 'consoles'),
      '--',
      this.name,
      '--root',
      this.root,
      'exec',
      ...(detach ? ['--detach', '--pid-file', '@PIDFILE@'] : []),
      '--preserve-fds',
      '1',
      '--process',
      processFile,
      '--console-socket',
      '@CONSOLE@',
      id,
    ]);
  }

  /**
   * argv that creates a container whose spec asks for a terminal under the exec console in hold
   * mode: the console says "created" on its stderr once the container exists (then `start` it),
   * holds the pty's master and relays it on its stdin/stdout until the container's processes end.
   * With `noStdin` the terminal gets no input (a container with tty but without stdin).
   */
  createHeldArgv(
    id: string,
    bundle: string,
    lowerdirs: string[],
    size: { cols: number; rows: number },
    o: { noStdin?: boolean } = {},
  ): string[] {
    const cfg = this.node.cfg;
    return this.node.enter([
      join(dirname(cfg.initBinary), 'exec-console'),
      '--hold',
      ...(o.noStdin ? ['--no-stdin'] : []),
      String(size.cols),
      String(size.rows),
      join(cfg.stateDir, 'consoles'),
      '--',
      join(this.scriptsDir, 'container-create.sh'),
      this.name,
      this.root,
      id,
      bundle,
      lowerdirs.join(':'),
      '@CONSOLE@',
    ]);
  }

  /** argv of `exec` in the container (through the node): the caller spawns it with its own stdio. */
  execArgv(id: string, cmd: string[], opts: { tty?: boolean; user?: { uid: number; gid: number } } = {}): string[] {
    const user = opts.user ? ['--user', `${opts.user.uid}:${opts.user.gid}`] : [];
    return this.node.enter([
      this.name,
      '--root',
      this.root,
      'exec',
      ...user,
      ...(opts.tty ? ['--tty'] : []),
      id,
      ...cmd,
    ]);
  }

  private async run(args: string[], tolerateGone = false): Promise<void> {
    const argv = this.node.enter([this.name, '--root', this.root, ...args]);
    const r = lightSpawnAvailable()
      ? await lightRun(argv[0]!, argv.slice(1), { timeoutMs: 30_000 })
      : await execa(argv[0]!, argv.slice(1), { reject: false, timeout: 30_000 });
    if (r.exitCode === 0) return;
    const text = `${r.stderr}${r.stdout}`;
    if (tolerateGone && /not running|does not exist|no such|not found|container not running/i.test(text)) return;
    throw new RuntimeError(
      `${this.name} ${args[0]} ${(args[1] ?? '').slice(0, 12)}: ${text.trim() || `exit ${r.exitCode}`}`,
    );
  }
}

function lastLines(text: string): string {
  return text.trim().split('\n').slice(-3).join('\n');
}
