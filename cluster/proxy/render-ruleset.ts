// The whole kube-proxy ruleset as one iptables-restore input ("*filter … COMMIT *nat … COMMIT"),
// laid out as syncProxyRules writes it. A partial sync rewrites the shared chains but leaves out
// the own chains of services that did not change; stale chains are flushed, then deleted (-X).
import { CANARY_CHAIN, JUMP_RULES, type JumpRule } from './jump-rules.js';
import type { RenderedServicePort } from './render-service.js';

export interface NormalizedNodeConfig {
  nodeName: string;
  nodeIP?: string;
  clusterCIDR?: string;
  /** undefined: NodePorts on every local address. */
  nodePortAddresses?: string[];
  /** Go's "%#08x" of 1<<bit, e.g. "0x00004000" (iptables-save shows it as 0x4000). */
  mark: string;
  masqueradeAll: boolean;
  localhostNodePorts: boolean;
  conntrackTCPLiberal: boolean;
  randomFully: boolean;
}

export interface AssembleInput {
  config: NormalizedNodeConfig;
  /** Rendered service ports, in the order their rules should appear. */
  services: Iterable<{ serviceKey: string; ports: readonly RenderedServicePort[] }>;
  /** Whether a service's own chains are written this time (all of them on a full sync). */
  writeOwnChains: (serviceKey: string) => boolean;
  /** Service chains to flush and delete (no longer used). */
  staleChains: Iterable<string>;
  /** Full sync only: jump rules to prepend because they are missing. */
  missingJumps?: readonly JumpRule[];
  /** Full sync only: declare the canary chains (and KUBE-FIREWALL when it is missing). */
  declareCanary?: boolean;
  declareKubeletFirewall?: boolean;
  /**
   * Partial sync only: the shared chains' rules as last written ("table:CHAIN" → lines). A shared
   * chain whose rules are the same is then left out, so that one endpoint going away does not
   * rewrite KUBE-SERVICES' thousand rules. Absent: every shared chain is written (kube-proxy's way).
   */
  previousShared?: ReadonlyMap<string, string>;
}

export interface AssembledRuleset {
  text: string;
  natChainsWritten: number;
  natRulesWritten: number;
  filterRulesWritten: number;
  staleChainsDeleted: number;
  /** The shared chains' rules as now in the node, for the next partial sync. */
  shared: Map<string, string>;
  /** Shared chains written this time. */
  sharedChainsWritten: string[];
}

const FILTER_SHARED = [
  'KUBE-SERVICES',
  'KUBE-EXTERNAL-SERVICES',
  'KUBE-FORWARD',
  'KUBE-NODEPORTS',
  'KUBE-PROXY-FIREWALL',
];
const NAT_SHARED = ['KUBE-SERVICES', 'KUBE-NODEPORTS', 'KUBE-POSTROUTING', 'KUBE-MARK-MASQ'];

/** The chain an "-A CHAIN ..." line appends to. */
function ruleChain(line: string): string {
  const end = line.indexOf(' ', 3);
  return line.slice(3, end < 0 ? undefined : end);
}

const chainLine = (name: string) => `:${name} - [0:0]`;

export function assembleRuleset(input: AssembleInput): AssembledRuleset {
  const { config: c } = input;
  const filterShared = [...FILTER_SHARED];
  const filterChains: string[] = [];
  const filterRules: string[] = [];
  const natChains: string[] = [];
  const natRules: string[] = [];
  const jumps = (table: string) =>
    (input.missingJumps ?? []).filter((j) => j.table === table).map((j) => `-I ${j.from} 1 ${j.spec}`);

  // Marked packets (and only those) are masqueraded once, then the mark is cleared so a packet
  // that passes through the stack again is not SNATed twice.
  natRules.push(`-A KUBE-POSTROUTING -m mark ! --mark ${c.mark}/${c.mark} -j RETURN`);
  natRules.push(`-A KUBE-POSTROUTING -j MARK --xor-mark ${c.mark}`);
  natRules.push(
    `-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE${c.randomFully ? ' --random-fully' : ''}`,
  );
  natRules.push(`-A KUBE-MARK-MASQ -j MARK --or-mark ${c.mark}`);
  if (c.localhostNodePorts) {
    // route_localnet (needed for NodePorts on 127.0.0.1) would otherwise let outside packets
    // aimed at 127.0.0.0/8 in; kube-proxy and the kubelet both install this guard.
    filterShared.push('KUBE-FIREWALL');
    filterRules.push(
      '-A KUBE-FIREWALL -m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP',
    );
  } else if (input.declareKubeletFirewall) {
    filterChains.push(chainLine('KUBE-FIREWALL'));
  }

  let natChainsWritten = 0;
  const ownChainLines: string[] = [];
  for (const { serviceKey, ports } of input.services) {
    const own = input.writeOwnChains(serviceKey);
    for (const p of ports) {
      filterRules.push(...p.filterRules);
      natRules.push(...p.natEntryRules);
      if (!own) continue;
      for (const ch of p.ownChains) ownChainLines.push(chainLine(ch));
      natChainsWritten += p.ownChains.length;
      natRules.push(...p.ownRules);
    }
  }
  natChains.push(...ownChainLines);
  let staleChainsDeleted = 0;
  for (const ch of input.staleChains) {
    // Declaring the chain flushes it, so nothing it holds blocks its deletion.
    natChains.push(chainLine(ch));
    natRules.push(`-X ${ch}`);
    staleChainsDeleted++;
  }
  // Must stay the last rule of KUBE-SERVICES: it catches whatever no service rule matched.
  const last =
    '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain"';
  if (c.nodePortAddresses === undefined) {
    natRules.push(
      `${last} -m addrtype --dst-type LOCAL${c.localhostNodePorts ? '' : ' ! -d 127.0.0.0/8'} -j KUBE-NODEPORTS`,
    );
  } else {
    for (const ip of c.nodePortAddresses) {
      if (ip.startsWith('127.') && !c.localhostNodePorts) continue;
      natRules.push(`${last} -d ${ip} -j KUBE-NODEPORTS`);
    }
  }
  if (!c.conntrackTCPLiberal) filterRules.push('-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP');
  // Lets NodePort traffic through even where the FORWARD policy is DROP, then its replies.
  filterRules.push(
    `-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark ${c.mark}/${c.mark} -j ACCEPT`,
  );
  filterRules.push(
    '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
  );

  // Group the shared chains' rules, then keep only the shared chains that changed.
  const shared = new Map<string, string[]>();
  for (const ch of filterShared) shared.set(`filter:${ch}`, []);
  for (const ch of NAT_SHARED) shared.set(`nat:${ch}`, []);
  for (const l of filterRules) shared.get(`filter:${ruleChain(l)}`)?.push(l);
  for (const l of natRules) if (l.startsWith('-A ')) shared.get(`nat:${ruleChain(l)}`)?.push(l);
  const sharedText = new Map([...shared].map(([k, v]) => [k, v.join('\n')]));
  const prev = input.previousShared;
  const write = new Set([...sharedText].filter(([k, v]) => !prev || prev.get(k) !== v).map(([k]) => k));
  const keep = (table: string) => (l: string) =>
    !l.startsWith('-A ') || !shared.has(`${table}:${ruleChain(l)}`) || write.has(`${table}:${ruleChain(l)}`);
  const filterOut = filterRules.filter(keep('filter'));
  const natOut = natRules.filter(keep('nat'));
  filterChains.unshift(...filterShared.filter((ch) => write.has(`filter:${ch}`)).map(chainLine));
  const natSharedChains = NAT_SHARED.filter((ch) => write.has(`nat:${ch}`)).map(chainLine);

  const parts: string[] = [];
  if (input.declareCanary) parts.push('*mangle', chainLine(CANARY_CHAIN), 'COMMIT');
  const canary = input.declareCanary ? [chainLine(CANARY_CHAIN)] : [];
  const filterBody = [...filterChains, ...canary, ...jumps('filter'), ...filterOut];
  // A table with nothing to change is left out of the restore input altogether.
  if (filterBody.length) parts.push('*filter', ...filterBody, 'COMMIT');
  // Jump rules come before the services' chain declarations: see requestWholeTableCache.
  const natBody = [...natSharedChains, ...canary, ...jumps('nat'), ...natChains, ...natOut];
  if (natBody.length) parts.push('*nat', ...natBody, 'COMMIT');
  return {
    text: parts.length ? `${parts.join('\n')}\n` : '',
    natChainsWritten,
    natRulesWritten: natOut.length,
    filterRulesWritten: filterOut.length,
    staleChainsDeleted,
    shared: sharedText,
    sharedChainsWritten: [...write],
  };
}

export { JUMP_RULES };
