// How kube-proxy's nftables transaction reaches a node: `nft -f -` inside the node's network
// namespace (one atomic transaction), and `nft list table ip kube-proxy` to see what is there.
import { KubewireError, ValidationError } from '../../../common/errors.js';
import { NETNS_NAME } from '../iptables-restorer.js';
import { NFT_TABLE } from './render-nft.js';

export class NftApplyError extends KubewireError {}

export interface NftApplier {
  /** Runs the transaction with `nft -f -` in `netns`; all of it applies or none. */
  apply(netns: string, text: string): Promise<void>;
  /** `nft list table ip kube-proxy` in `netns`, '' when the table does not exist yet. */
  list(netns: string): Promise<string>;
  /**
   * The chain and set names of table ip kube-proxy, without rules or elements (one `nft -f` of
   * `list chains ip` + `list sets ip`): what a full sync needs, cheaper than listing the table.
   */
  listNames(netns: string): Promise<{ chains: string[]; sets: string[] }>;
}

/** The input of listNames' `nft -f -`. */
export const LIST_NAMES_INPUT = 'list chains ip\nlist sets ip\n';

function checkNetns(netns: string): void {
  if (!NETNS_NAME.test(netns))
    throw new ValidationError('nft', `not a network namespace name: ${JSON.stringify(netns)}`);
}

/** The part of the runtime's HostDriver this needs (`ip netns exec <ns> …` with stdin). */
export interface NetnsExec {
  exec(
    netns: string,
    argv: readonly string[],
    opts?: { input?: string; timeoutMs?: number },
  ): Promise<{ exitCode: number; stdout: string; stderr: string }>;
}

export class HostDriverNftApplier implements NftApplier {
  constructor(private readonly host: NetnsExec) {}

  async apply(netns: string, text: string): Promise<void> {
    checkNetns(netns);
    const r = await this.host.exec(netns, ['nft', '-f', '-'], { input: text, timeoutMs: 60_000 });
    if (r.exitCode !== 0)
      throw new NftApplyError(`nft -f in ${netns} failed: ${r.stderr.trim().split('\n').slice(0, 3).join(' | ')}`);
  }

  async list(netns: string): Promise<string> {
    checkNetns(netns);
    const r = await this.host.exec(netns, ['nft', 'list', 'table', 'ip', NFT_TABLE], { timeoutMs: 30_000 });
    if (r.exitCode !== 0) {
      if (/No such file or directory|does not exist/i.test(r.stderr)) return '';
      throw new NftApplyError(`nft list table ip ${NFT_TABLE} in ${netns} failed: ${r.stderr.trim()}`);
    }
    return r.stdout;
  }

  async listNames(netns: string): Promise<{ chains: string[]; sets: string[] }> {
    checkNetns(netns);
    const r = await this.host.exec(netns, ['nft', '-f', '-'], { input: LIST_NAMES_INPUT, timeoutMs: 30_000 });
    if (r.exitCode !== 0) throw new NftApplyError(`nft list chains/sets in ${netns} failed: ${r.stderr.trim()}`);
    return parseNftListing(r.stdout);
  }
}

/** Chain and set names of table ip kube-proxy in an `nft list …` output (other tables are skipped). */
export function parseNftListing(text: string): { chains: string[]; sets: string[] } {
  const chains: string[] = [];
  const sets: string[] = [];
  let ours = false;
  for (const line of text.split('\n')) {
    const t = /^table (\S+) (\S+) \{/.exec(line);
    if (t) ours = t[1] === 'ip' && t[2] === NFT_TABLE;
    const m = /^\s*(chain|set|map) (\S+) \{/.exec(line);
    if (!m || !ours) continue;
    if (m[1] === 'chain') chains.push(m[2]!);
    else if (m[1] === 'set') sets.push(m[2]!);
  }
  return { chains, sets };
}
