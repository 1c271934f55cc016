// IptablesRestorer for a node's network namespace: `iptables-restore` run through the runtime's
// HostDriver (`ip netns exec <ns> …` on this machine).
import { ValidationError } from '../../common/errors.js';
import type { HostDriver } from '../../runtime/host/host-driver.js';
import {
  IptablesRestoreError,
  linesAround,
  NETNS_NAME,
  requestWholeTableCache,
  type IptablesRestorer,
} from './iptables-restorer.js';

/**
 * Which iptables: the system's default (`iptables`, nf_tables on Debian 12, what a learner's
 * `iptables -t nat -S` shows) or the legacy x_tables one. iptables-nft 1.8.9's --noflush restore
 * costs O(rules × chains) (about 5 s of CPU for 1,000 services × 10 endpoints); legacy restores
 * the same in about 1 s, but its rules are invisible to the nft `iptables` a learner types.
 */
export type IptablesVariant = 'iptables' | 'iptables-nft' | 'iptables-legacy';

/** A full restore of a big ruleset through iptables-nft takes tens of seconds on a busy machine. */
const RESTORE_TIMEOUT_MS = 180_000;

/** argv of the restore command (without `ip netns exec`). */
export const restoreArgs = (v: IptablesVariant): string[] => [`${v}-restore`, '--noflush', '--counters', '-w', '5'];

/** The input as sent: legacy iptables has no per-chain cache, so it gets the text unchanged. */
export function restoreInput(variant: IptablesVariant, text: string): string {
  return variant === 'iptables-legacy' ? text : requestWholeTableCache(text);
}

function checkNetns(netns: string): void {
  if (!NETNS_NAME.test(netns))
    throw new ValidationError('iptables-restore', `not a network namespace name: ${JSON.stringify(netns)}`);
}

/** iptables-restore/-save in a node's namespace through the runtime's HostDriver (execa, argument
 * arrays, no shell), so an SSH node works the same way. */
export class HostDriverIptablesRestorer implements IptablesRestorer {
  constructor(
    private readonly host: HostDriver,
    private readonly variant: IptablesVariant = 'iptables',
  ) {}

  async restore(netns: string, text: string): Promise<void> {
    checkNetns(netns);
    const input = restoreInput(this.variant, text);
    const r = await this.host.exec(netns, restoreArgs(this.variant), { input, timeoutMs: RESTORE_TIMEOUT_MS });
    if (r.exitCode !== 0)
      throw new IptablesRestoreError(netns, r.stderr || String(r.exitCode), linesAround(input, r.stderr));
  }

  async save(netns: string): Promise<string> {
    checkNetns(netns);
    const r = await this.host.exec(netns, [`${this.variant}-save`], { timeoutMs: RESTORE_TIMEOUT_MS });
    if (r.exitCode !== 0) throw new IptablesRestoreError(netns, r.stderr || `iptables-save exited ${r.exitCode}`, '');
    return r.stdout;
  }
}
