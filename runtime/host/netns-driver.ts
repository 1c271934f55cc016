// The default host driver: every node is a network namespace on this machine, and helpers run here
// as child processes (execa with argument arrays, never a shell string).
import { randomBytes } from 'node:crypto';
import { readdir, readFile, rename, writeFile, mkdir } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { HelperError } from './helper-error.js';
import type { ExecOptions, ExecResult, HostDriver, ProcessRef, ScriptResult } from './host-driver.js';

const SCRIPT_RE = /^[a-z0-9-]+\.sh$/;

export class NetnsDriver implements HostDriver {
  readonly kind = 'netns' as const;

  constructor(
    private readonly scriptsDir: string,
    /** Called after every helper with its duration (KUBEWIRE_TRACE, the bench's breakdown). */
    private readonly trace?: (script: string, args: readonly string[], ms: number) => void,
  ) {}

  async script(
    script: string,
    args: readonly string[],
    opts: { input?: string; timeoutMs?: number } = {},
  ): Promise<ScriptResult> {
    if (!SCRIPT_RE.test(script)) throw new HelperError(script, args, undefined, 'not a helper script name');
    const t0 = performance.now();
    const r = await execa(join(this.scriptsDir, script), [...args], {
      input: opts.input ?? '',
      timeout: opts.timeoutMs ?? 60_000,
      reject: false,
      stripFinalNewline: true,
    });
    this.trace?.(script, args, performance.now() - t0);
    if (r.exitCode !== 0 || r.failed) {
      throw new HelperError(script, args, r.exitCode, `${r.stderr}${r.timedOut ? ' (timed out)' : ''}`);
    }
    const last = r.stdout.trim().split('\n').pop() ?? '';
    try {
      return { json: JSON.parse(last) as Record<string, unknown>, stderr: r.stderr };
    } catch (cause) {
      throw new HelperError(script, args, r.exitCode, `printed no JSON line: ${last.slice(0, 200)}`, { cause });
    }
  }

  async exec(netns: string, argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const enter = opts.joinPid ? ['nsenter', '-t', String(opts.joinPid), '-u', '-i', '--'] : [];
    const r = await execa('ip', ['netns', 'exec', netns, ...enter, ...argv], {
      ...(opts.inherit ? { stdio: 'inherit' as const } : { input: opts.input ?? '' }),
      ...(opts.timeoutMs ? { timeout: opts.timeoutMs } : opts.inherit ? {} : { timeout: 30_000 }),
      reject: false,
    });
    const signal = r.signal ? 128 + (osConstants.signals[r.signal] ?? 0) : 128;
    return { exitCode: r.exitCode ?? signal, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
  }

  async alive(procs: readonly ProcessRef[]): Promise<boolean[]> {
    return Promise.all(procs.map(async (p) => (await readStartTime(p.pid)) === p.startTime));
  }

  async settle(prefix: string, timeoutMs = 10_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      if ((await this.helpersRunning(prefix)) === 0 || Date.now() > until) return;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  private async helpersRunning(prefix: string): Promise<number> {
    let count = 0;
    for (const pid of await readdir('/proc').catch(() => [] as string[])) {
      if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
      const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0');
      if (argv.some((a) => a.startsWith(this.scriptsDir)) && argv.some((a) => a.startsWith(prefix))) count++;
    }
    return count;
  }

  async writeFile(path: string, content: string): Promise<void> {
    await mkdir(dirname(path), { recursive: true });
    const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(tmp, content);
    await rename(tmp, path);
  }
}

/**
 * Field 22 of /proc/<pid>/stat (start time in clock ticks since boot), or undefined when gone.
 * A zombie counts as gone: it has exited, only its parent (often init) has not reaped it yet.
 */
export async function readStartTime(pid: number): Promise<number | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
    return Number(fields[19]);
  } catch {
    return undefined;
  }
}
