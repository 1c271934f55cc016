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
    super(
      `iptables-restore in ${netns} failed: ${stderr.trim().split('\n')[0] ?? ''}${context ? ` (near: ${context})` : ''}`,
      options,
    );
  }
}

/** The lines around `line N` that iptables-restore names in its error, as kube-proxy logs them. */
export function linesAround(text: string, stderr: string): string {
  const m = /line:? (\d+)/i.exec(stderr);
  if (!m) return '';
  const n = Number(m[1]);
  const lines = text.split('\n');
  return lines
    .slice(Math.max(0, n - 2), n + 1)
    .map((l, i) => `${Math.max(1, n - 1) + i}: ${l}`)
    .join(' | ');
}

export const NETNS_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * iptables-nft 1.8.9 with --noflush records every chain a command names in a sorted linked list
 * (nft-cache.c, cache_chain_list_insert), one O(chains) walk per command: 1,000 services × 10
 * endpoints cost 5-10 s of CPU. A command that names no chain switches it to fetching the whole
 * table instead, which is linear. `-S` (print the table) is such a command and changes nothing, so
 * a big table block gets one; its output (the table before this restore) is discarded.
 * It must come after the rules that insert into built-in chains (the jump rules): once the table
 * is listed, iptables-nft takes absent built-in chains for present and those inserts fail. The
 * renderer writes the jump rules right after the shared chains' declarations for that reason.
 * The list holds the chains named in this restore, so what matters is how many chains a block
 * declares: a full sync declares every service chain; a partial sync that rewrites KUBE-SERVICES
 * has many lines but few chains, and keeps the cheaper per-chain fetch (no full table listing).
 * The rules applied are the same either way.
 */
export function requestWholeTableCache(text: string, minChains = 500): string {
  const lines = text.split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]!.startsWith('*')) {
      out.push(lines[i]!);
      continue;
    }
    let end = i + 1;
    let lastInsert = i;
    let chains = 0;
    while (end < lines.length && lines[end] !== 'COMMIT') {
      if (lines[end]!.startsWith('-I ')) lastInsert = end;
      else if (lines[end]!.startsWith(':')) chains++;
      end++;
    }
    const block = lines.slice(i, end);
    if (chains >= minChains) block.splice(lastInsert - i + 1, 0, '-S');
    out.push(...block);
    i = end - 1;
  }
  return out.join('\n');
}
