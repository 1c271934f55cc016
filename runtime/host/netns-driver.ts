// The default host driver: every node is a network namespace on this machine, and helpers run here
// as child processes (execa with argument arrays, never a shell string).
import { randomBytes } from 'node:crypto';
import { readdir, readFile, rename, writeFile, mkdir } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { lightRun, lightSpawnAvailable } from '../kernel/light-spawn.js';
import { netnsAddon } from '../project-root.js';
import { HelperError } from './helper-error.js';
import { runQuick } from './spawn.js';
import {
  hasInProcess,
  IptablesBatcher,
  namespaceHasProcesses,
  runInProcess,
  setupNamespaces,
} from './in-process-helpers.js';
import type { ExecOptions, ExecResult, HostDriver, ProcessRef, ScriptResult } from './host-driver.js';

const SCRIPT_RE = /^[a-z0-9-]+\.sh$/;

export class NetnsDriver implements HostDriver {
  readonly kind = 'netns' as const;
  /**
   * The network helpers run in this process (rtnetlink, one iptables-restore per namespace; see
   * in-process-helpers.ts) unless turned off or the netns addon is not built: the scripts then run.
   */
  readonly inProcess: boolean;
  private readonly iptables = new IptablesBatcher();
  private readonly creating = new Map<string, { nss: string[]; done: Promise<string[]> }>();
  private readonly madeDirs = new Set<string>();

  constructor(
    private readonly scriptsDir: string,
    /** Called after every helper with its duration (KUBEWIRE_TRACE, the bench's breakdown). */
    private readonly trace?: (script: string, args: readonly string[], ms: number) => void,
    opts: { inProcess?: boolean } = {},
  ) {
    this.inProcess = (opts.inProcess ?? process.env.KUBEWIRE_HELPERS !== 'scripts') && existsSync(netnsAddon());
  }

  async script(
    script: string,
    args: readonly string[],
    opts: { input?: string; timeoutMs?: number } = {},
  ): Promise<ScriptResult> {
    if (!SCRIPT_RE.test(script)) throw new HelperError(script, args, undefined, 'not a helper script name');
    const t0 = performance.now();
    if (this.inProcess) {
      const json = await this.local(script, args, opts);
      if (json) {
        this.trace?.(script, args, performance.now() - t0);
        return { json, stderr: '' };
      }
    }
    return this.run(script, args, opts, t0);
  }

  /** The in-process equivalent's answer, or undefined when `script` has none. */
  private async local(
    script: string,
    args: readonly string[],
    opts: { input?: string; timeoutMs?: number },
  ): Promise<Record<string, unknown> | undefined> {
    if (hasInProcess(script)) return runInProcess(script, args);
    if (script === 'iptables-apply.sh') return this.iptables.apply(args, opts.input ?? '');
    if (
      script === 'proc-stop.sh' &&
      args.length === 2 &&
      args[0] === '--all-in' &&
      /^kw-[a-z0-9][a-z0-9_.-]*$/.test(args[1]!) &&
      existsSync(`/run/netns/${args[1]}`) &&
      !namespaceHasProcesses(args[1]!)
    )
      return { signalled: [], killed: [], strays: [] };
    if (script === 'netns-up.sh' && args.length >= 2 && args[1] !== '--create-only') {
      const forward = args[1] === '--forward';
      const nss = args.slice(forward ? 2 : 1);
      // Only a missing namespace needs the script (marks, then `ip netns add`); the rest is setup.
      let created: string[] = [];
      if (!nss.length || !nss.every((ns) => /^kw-[a-z0-9][a-z0-9_.-]*$/.test(ns) && existsSync(`/run/netns/${ns}`))) {
        const all = await this.createNamespaces(args[0]!, nss);
        created = nss.filter((ns) => all.includes(ns));
        this.iptables.markFresh(created);
      }
      try {
        await setupNamespaces(nss, forward);
      } catch (err) {
        throw new HelperError(script, args, 1, (err as Error).message, { cause: err });
      }
      return { created };
    }
    return undefined;
  }

  /**
   * netns-up.sh --create-only for the namespaces asked for in one turn of the event loop (`up`
   * asks for its routers and its other namespaces side by side): one script, one `ip -batch`.
   * Resolves with every namespace the script created.
   */
  private createNamespaces(prefix: string, nss: readonly string[]): Promise<string[]> {
    let q = this.creating.get(prefix);
    if (!q) {
      const batch = { nss: [] as string[], done: undefined as unknown as Promise<string[]> };
      batch.done = new Promise<void>((r) => setImmediate(r)).then(async () => {
        this.creating.delete(prefix);
        const r = await this.run(
          'netns-up.sh',
          [prefix, '--create-only', ...new Set(batch.nss)],
          {},
          performance.now(),
        );
        return (r.json.created as string[] | undefined) ?? [];
      });
      this.creating.set(prefix, (q = batch));
    }
    q.nss.push(...nss);
    return q.done;
  }

  private async run(
    script: string,
    args: readonly string[],
    opts: { input?: string; timeoutMs?: number },
    t0: number,
  ): Promise<ScriptResult> {
    const r = await runScript(join(this.scriptsDir, script), args, opts.input ?? '', opts.timeoutMs ?? 60_000);
    this.trace?.(script, args, performance.now() - t0);
    if (r.exitCode !== 0) {
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
    if (!opts.inherit && lightSpawnAvailable()) {
      const r = await lightRun('ip', ['netns', 'exec', netns, ...enter, ...argv], {
        input: opts.input ?? '',
        timeoutMs: opts.timeoutMs ?? 30_000,
      });
      // As execa gives them (callers compare texts): without the final newline.
      const strip = (t: string) => t.replace(/\r?\n$/, '');
      return { exitCode: r.exitCode, stdout: strip(r.stdout), stderr: strip(r.stderr) };
    }
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
    const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
    // A folder this driver made is not made again before each file (`up` writes ~30 files into a
    // dozen folders); one removed since (a reset) is made again when the write finds it missing.
    const dir = dirname(path);
    if (!this.madeDirs.has(dir)) {
      await mkdir(dir, { recursive: true });
      this.madeDirs.add(dir);
    }
    await writeFile(tmp, content).catch(async (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
      await mkdir(dir, { recursive: true });
      await writeFile(tmp, content);
    });
    await rename(tmp, path);
  }
}

/**
 * A helper run to its end with its stdin, stdout and stderr as strings: posix_spawn where the addon
 * is built, else spawn.ts's runQuick (execa's plumbing was a tenth of `up`'s own CPU for forty short
 * helpers). With posix_spawn bash is started directly with the script (what its `#!/usr/bin/env
 * bash` line resolves to): no env process in front, no PATH walk for bash per helper (strace of the
 * article's `up`: 106 failed execs of bash along PATH).
 */
function runScript(
  file: string,
  args: readonly string[],
  input: string,
  timeoutMs: number,
): Promise<{ exitCode: number | undefined; stdout: string; stderr: string; timedOut: boolean }> {
  const strip = (t: string) => t.replace(/\r?\n$/, '');
  return (
    lightSpawnAvailable()
      ? lightRun('bash', [file, ...args], { input, timeoutMs })
      : runQuick(file, args, { input, timeoutMs })
  ).then(
    (r) => ({
      exitCode: r.exitCode ?? undefined,
      stdout: strip(r.stdout),
      stderr: strip(r.stderr),
      timedOut: r.timedOut,
    }),
    (err: Error) => ({ exitCode: undefined, stdout: '', stderr: err.message, timedOut: false }),
  );
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
