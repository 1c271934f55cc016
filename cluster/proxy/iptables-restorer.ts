// How a ruleset reaches a node: `iptables-restore --noflush` inside the node's network namespace.
// The Proxier only knows this interface; the runtime's HostDriver or execa provide it.
import { KubewireError } from '../../common/errors.js';

export interface IptablesRestorer {
  /** Feeds `text` to `iptables-restore --noflush --counters` in `netns`; all of it applies or none. */
  restore(netns: string, text: string): Promise<void>;
  /** `iptables-save` of `netns` (every table), read-only. */
  save(netns: string): Promise<string>;
}

export class IptablesRestoreError extends KubewireError {
  constructor(
    public readonly netns: string,
    public readonly stderr: string,
    /** The input lines around the one iptables-restore complained about, when it names one. */
    public readonly context: string,
    options?: { cause?: unknown },
  ) {
    super(`iptables-restore in ${netns} failed: ${stderr.trim().split('\n')[0] ?? ''}${context ? ` (near: ${context})` : ''}`, options);
  }
}

/** The lines around `line N` that iptables-restore names in its error, as kube-proxy logs them. */
export function linesAround(text: string, stderr: string): string {
  const m = /line:? (\d+)/i.exec(stderr);
  if (!m) return '';
  const n = Number(m[1]);
  const lines = text.split('\n');
  return lines.slice(Math.max(0, n - 2), n + 1).map((l, i) => `${Math.max(1, n - 1) + i}: ${l}`).join(' | ');
}

export const NETNS_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
