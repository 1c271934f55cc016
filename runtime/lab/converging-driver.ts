// The driver `up` uses on a lab that may already stand: a helper call whose effect the kernel
// already shows (read once over rtnetlink, runtime/network/converged.ts decides) is answered
// without running it; iptables-apply.sh is skipped when iptables-save inside the namespace already
// holds the chain as given and the hook. Everything else goes to the real driver.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { ExecOptions, ExecResult, HostDriver, ProcessRef, ScriptResult } from '../host/host-driver.js';
import { chainMatches, iptablesSaveTablesIn } from '../kernel/lab-kernel-state.js';
import { alreadyConverged, type LabKernelState } from '../network/converged.js';

const MARK_DIR = '/run/kubewire/netns';

export class ConvergingDriver implements HostDriver {
  readonly kind: HostDriver['kind'];
  /** Helper calls answered from the kernel's state, by script. */
  readonly skipped: Record<string, number> = {};
  /** iptables-save of a namespace, every table, read once per `up`. */
  private readonly saves = new Map<string, Promise<Map<string, string>>>();

  constructor(
    private readonly inner: HostDriver,
    private readonly state: LabKernelState,
  ) {
    this.kind = inner.kind;
  }

  async script(
    script: string,
    args: readonly string[],
    opts: { input?: string; timeoutMs?: number } = {},
  ): Promise<ScriptResult> {
    if (await this.converged(script, args, opts.input)) {
      this.skipped[script] = (this.skipped[script] ?? 0) + 1;
      return { json: { converged: true }, stderr: '' };
    }
    return this.inner.script(script, args, opts);
  }

  private async converged(script: string, args: readonly string[], input: string | undefined): Promise<boolean> {
    if (script === 'iptables-apply.sh') {
      const [ns, table, chain, hook] = args as [string, string, string, string];
      if (!this.state.has(ns)) return false;
      let save = this.saves.get(ns);
      if (!save) this.saves.set(ns, (save = iptablesSaveTablesIn(ns)));
      return chainMatches((await save).get(table) ?? '', chain, hook, (input ?? '').split('\n'));
    }
    if (script === 'netns-up.sh') {
      const nss = args.slice(1).filter((a) => a !== '--forward');
      if (!nss.every((ns) => existsSync(`${MARK_DIR}/${ns}`))) return false;
    }
    return alreadyConverged(this.state, script, args);
  }

  exec(netns: string, argv: readonly string[], opts?: ExecOptions): Promise<ExecResult> {
    return this.inner.exec(netns, argv, opts);
  }
  alive(procs: readonly ProcessRef[]): Promise<boolean[]> {
    return this.inner.alive(procs);
  }
  settle(prefix: string, timeoutMs?: number): Promise<void> {
    return this.inner.settle(prefix, timeoutMs);
  }
  /** A file that already holds `content` is left as it is (no folder check, temp file or rename). */
  async writeFile(path: string, content: string): Promise<void> {
    const now = await readFile(path, 'utf8').catch(() => undefined);
    if (now === content) {
      this.skipped.writeFile = (this.skipped.writeFile ?? 0) + 1;
      return;
    }
    return this.inner.writeFile(path, content);
  }
}
