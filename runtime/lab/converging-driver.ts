// The driver `up` uses on a lab that may already stand: a helper call whose effect the kernel
// already shows (read once over rtnetlink, runtime/network/converged.ts decides) is answered
// without running it; iptables-apply.sh is skipped when iptables-save inside the namespace already
// holds the chain as given and the hook. Everything else goes to the real driver.
import { existsSync } from 'node:fs';
import type { ExecOptions, ExecResult, HostDriver, ProcessRef, ScriptResult } from '../host/host-driver.js';
import { chainMatches, iptablesSaveIn } from '../kernel/lab-kernel-state.js';
import { alreadyConverged, type LabKernelState } from '../network/converged.js';

const MARK_DIR = '/run/kubewire/netns';

export class ConvergingDriver implements HostDriver {
  readonly kind: HostDriver['kind'];
  /** Helper calls answered from the kernel's state, by script. */
  readonly skipped: Record<string, number> = {};
  private readonly saves = new Map<string, Promise<string>>();

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
      const key = `${ns} ${table}`;
      let save = this.saves.get(key);
      if (!save) this.saves.set(key, (save = iptablesSaveIn(ns, table)));
      return chainMatches(await save, chain, hook, (input ?? '').split('\n'));
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
  writeFile(path: string, content: string): Promise<void> {
    return this.inner.writeFile(path, content);
  }
}
