// kube-proxy's nftables mode (GA in 1.31): the transaction its syncProxyRules builds in table
// `ip kube-proxy`, written as knftables writes it for `nft -f` (one `add`/`flush`/`delete` per
// line, numeric base-chain priorities). Follows pkg/proxy/nftables/proxier.go: base chains
// filter-*/nat-*, jump chains, the service-ips / service-nodeports verdict maps, no-endpoint and
// firewall maps, per service-port chains service-/local-/external-/firewall-<HASH>-ns/name/proto/port
// and endpoint-<HASH>-…__ip/port chains, numgen random mod N to pick an endpoint. This file renders
// the table's fixed part (setupNFTables) and each service port's own part (its chains, affinity
// sets, map elements); nft-transaction.ts puts them together into a full or partial transaction.
import { createHash } from 'node:crypto';
import type { EndpointInfo } from '../endpoint-info.js';
import type { NormalizedNodeConfig } from '../render-ruleset.js';
import { categorizeEndpoints } from '../endpoint-info.js';
import { prefixContains } from '../../../common/net/ipv4.js';
import { usesClusterEndpoints, usesLocalEndpoints, type ServicePortInfo } from '../service-port-info.js';

export const NFT_TABLE = 'kube-proxy';
const T = `ip ${NFT_TABLE}`;
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
/** knftables.NameLengthMax (256) minus the longest prefix (16). */
const NAME_BASE_MAX = 240;

function base32First8(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (let i = 0; i < 5; i++) {
    buffer = ((buffer << 8) | bytes[i]!) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
}

/** Names already hashed: a sync names every endpoint chain several times, a full sync 10,000s. */
const hashed = new Map<string, string>();
const HASHED_MAX = 200_000;

/** hashAndTruncate: "HASH8-name", cut to 240 characters. */
export function hashAndTruncate(name: string): string {
  const known = hashed.get(name);
  if (known !== undefined) return known;
  const full = `${base32First8(createHash('sha256').update(name).digest())}-${name}`;
  const out = full.length > NAME_BASE_MAX ? `${full.slice(0, NAME_BASE_MAX - 3)}...` : full;
  if (hashed.size >= HASHED_MAX) hashed.clear();
  hashed.set(name, out);
  return out;
}

export function servicePortChainBase(p: ServicePortInfo): string {
  const [ns, name] = p.serviceKey.split('/') as [string, string];
  return hashAndTruncate(`${ns}/${name}/${p.proto}/${p.portName}`);
}

export function endpointChainBase(p: ServicePortInfo, endpoint: string): string {
  const [ns, name] = p.serviceKey.split('/') as [string, string];
  const i = endpoint.lastIndexOf(':');
  return hashAndTruncate(`${ns}/${name}/${p.proto}/${p.portName}__${endpoint.slice(0, i)}/${endpoint.slice(i + 1)}`);
}

/** Service and endpoint chains always hold a "/"; the stock chains never do. */
export const isNftServiceChain = (chain: string) => chain.includes('/');

export interface NftService {
  port: ServicePortInfo;
  endpoints: readonly EndpointInfo[];
}

/** One element of a verdict map, as kube-proxy's nftElementStorage keeps it. */
export interface NftElement {
  map: string;
  key: string;
  value: string;
  comment?: string;
}

/** What one service port owns in table ip kube-proxy: rewritten only when the service changes. */
export interface NftServicePortRender {
  /** Service and endpoint chains it uses, in creation order. */
  chains: string[];
  /** Its session-affinity sets and the lines declaring them. */
  sets: string[];
  setLines: string[];
  /** Its elements in the shared maps (diffed against the last written on partial syncs). */
  elements: NftElement[];
  /** `add rule` lines of its own chains. */
  rules: string[];
}

const BASE_CHAINS: [string, string, string, number][] = [
  ['filter-prerouting', 'filter', 'prerouting', -110],
  ['filter-input', 'filter', 'input', -110],
  ['filter-forward', 'filter', 'forward', -110],
  ['filter-output', 'filter', 'output', -110],
  ['nat-prerouting', 'nat', 'prerouting', -100],
  ['nat-output', 'nat', 'output', -100],
  ['nat-postrouting', 'nat', 'postrouting', 100],
];

const JUMP_CHAINS: [string, string, string][] = [
  ['endpoints-check', 'filter-input', 'ct state new'],
  ['endpoints-check', 'filter-forward', 'ct state new'],
  ['endpoints-check', 'filter-output', 'ct state new'],
  ['firewall-check', 'filter-prerouting', 'ct state new'],
  ['firewall-check', 'filter-output', 'ct state new'],
  ['services', 'nat-output', ''],
  ['services', 'nat-prerouting', ''],
  ['masquerading', 'nat-postrouting', ''],
];

/** The verdict maps service ports put elements in; a full sync flushes them. */
export const NFT_MAPS = [
  'firewall-ips',
  'no-endpoint-services',
  'no-endpoint-nodeports',
  'service-ips',
  'service-nodeports',
] as const;

const q = (s: string) => JSON.stringify(s);

export const chainLines = (ch: string): string[] => [`add chain ${T} ${ch}`, `flush chain ${T} ${ch}`];
export const elementLine = (e: NftElement): string =>
  `add element ${T} ${e.map} { ${e.key}${e.comment ? ` comment ${q(e.comment)}` : ''} : ${e.value} }`;
export const deleteElementLine = (e: Pick<NftElement, 'map' | 'key'>): string =>
  `delete element ${T} ${e.map} { ${e.key} }`;

/** setupNFTables: the table, base and helper chains, the maps (flushed), as a full sync writes them. */
export function renderNftSetup(c: NormalizedNodeConfig): string[] {
  const lines: string[] = [];
  const add = (l: string) => lines.push(l);
  const created = new Set<string>();
  const ensureChain = (ch: string) => {
    if (created.has(ch)) return;
    lines.push(...chainLines(ch));
    created.add(ch);
  };
  const rule = (chain: string, r: string) => add(`add rule ${T} ${chain} ${r}`);
  add(`add table ${T} { comment ${q('rules for kube-proxy')} ; }`);
  for (const [name, type, hook, prio] of BASE_CHAINS) {
    add(`add chain ${T} ${name} { type ${type} hook ${hook} priority ${prio} ; }`);
    add(`flush chain ${T} ${name}`);
  }
  for (const [dst, src, extra] of JUMP_CHAINS) {
    ensureChain(dst);
    rule(src, `${extra ? `${extra} ` : ''}jump ${dst}`);
  }
  for (const ch of ['services', 'masquerading', 'mark-for-masquerade']) ensureChain(ch);
  rule('mark-for-masquerade', `mark set mark or ${c.mark}`);
  rule('masquerading', `mark and ${c.mark} == 0 return`);
  rule('masquerading', `mark set mark xor ${c.mark}`);
  rule('masquerading', 'masquerade fully-random');
  add(`add set ${T} nodeport-ips { type ipv4_addr ; comment ${q('IPs that accept NodePort traffic')} ; }`);
  const matchAll = c.nodePortAddresses === undefined;
  if (matchAll) add(`delete set ${T} nodeport-ips`);
  else {
    add(`flush set ${T} nodeport-ips`);
    for (const ip of c.nodePortAddresses!) if (!ip.startsWith('127.')) add(`add element ${T} nodeport-ips { ${ip} }`);
  }
  add(
    `add map ${T} no-endpoint-services { type ipv4_addr . inet_proto . inet_service : verdict ; comment ${q('vmap to drop or reject packets to services with no endpoints')} ; }`,
  );
  add(
    `add map ${T} no-endpoint-nodeports { type inet_proto . inet_service : verdict ; comment ${q('vmap to drop or reject packets to service nodeports with no endpoints')} ; }`,
  );
  add(`add chain ${T} reject-chain { comment ${q('helper for @no-endpoint-services / @no-endpoint-nodeports')} ; }`);
  add(`flush chain ${T} reject-chain`);
  rule('reject-chain', 'reject');
  rule('endpoints-check', 'ip daddr . meta l4proto . th dport vmap @no-endpoint-services');
  rule(
    'endpoints-check',
    matchAll
      ? 'fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @no-endpoint-nodeports'
      : 'ip daddr @nodeport-ips meta l4proto . th dport vmap @no-endpoint-nodeports',
  );
  add(
    `add map ${T} firewall-ips { type ipv4_addr . inet_proto . inet_service : verdict ; comment ${q('destinations that are subject to LoadBalancerSourceRanges')} ; }`,
  );
  ensureChain('firewall-check');
  rule('firewall-check', 'ip daddr . meta l4proto . th dport vmap @firewall-ips');
  add(
    `add map ${T} service-ips { type ipv4_addr . inet_proto . inet_service : verdict ; comment ${q('ClusterIP, ExternalIP and LoadBalancer IP traffic')} ; }`,
  );
  add(
    `add map ${T} service-nodeports { type inet_proto . inet_service : verdict ; comment ${q('NodePort traffic')} ; }`,
  );
  rule('services', 'ip daddr . meta l4proto . th dport vmap @service-ips');
  rule(
    'services',
    matchAll
      ? 'fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @service-nodeports'
      : 'ip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports',
  );
  for (const m of NFT_MAPS) add(`flush map ${T} ${m}`);
  return lines;
}

/** syncProxyRules' loop body for one service port: its chains, sets, elements and rules. */
export function renderNftServicePort(
  c: NormalizedNodeConfig,
  svc: ServicePortInfo,
  all: readonly EndpointInfo[],
): NftServicePortRender {
  const out: NftServicePortRender = { chains: [], sets: [], setLines: [], elements: [], rules: [] };
  const rule = (chain: string, r: string, comment?: string) =>
    out.rules.push(`add rule ${T} ${chain} ${r}${comment ? ` comment ${q(comment)}` : ''}`);
  const element = (map: string, key: string, value: string, comment?: string) =>
    out.elements.push({ map, key, value, ...(comment ? { comment } : {}) });
  const seen = new Set<string>();
  const ensureActive = (ch: string) => {
    if (seen.has(ch)) return;
    seen.add(ch);
    out.chains.push(ch);
  };
  const name = svc.nameString;
  const proto = svc.proto;
  const base = servicePortChainBase(svc);
  const clusterChain = `service-${base}`;
  const localChain = `local-${base}`;
  const externalChain = `external-${base}`;
  const fwChain = `firewall-${base}`;
  const cat = categorizeEndpoints(all, svc);
  const epChain = (e: EndpointInfo) => `endpoint-${endpointChainBase(svc, e.endpoint)}`;
  const affinitySet = (e: EndpointInfo) => `affinity-${endpointChainBase(svc, e.endpoint)}`;
  for (const e of cat.reachable) ensureActive(epChain(e));
  const usesCluster = cat.cluster.length > 0 && usesClusterEndpoints(svc);
  if (usesCluster) ensureActive(clusterChain);
  const usesLocal = cat.local.length > 0 && usesLocalEndpoints(svc);
  if (usesLocal) ensureActive(localChain);
  let internalChain = clusterChain;
  let hasInternal = cat.hasAny;
  if (svc.internalPolicyLocal) {
    internalChain = localChain;
    if (cat.local.length === 0) hasInternal = false;
  }
  let externalPolicyChain = clusterChain;
  let hasExternal = cat.hasAny;
  if (svc.externalPolicyLocal) {
    externalPolicyChain = localChain;
    if (cat.local.length === 0) hasExternal = false;
  }
  const usesExt = cat.hasAny && svc.externallyAccessible;
  if (usesExt) ensureActive(externalChain);
  let internalVerdict = '';
  let externalVerdict = '';
  if (!cat.hasAny) internalVerdict = externalVerdict = 'goto reject-chain';
  else {
    if (!hasInternal) internalVerdict = 'drop';
    if (!hasExternal) externalVerdict = 'drop';
  }
  const key = (ip: string, port: number) => `${ip} . ${proto} . ${port}`;
  if (hasInternal) element('service-ips', key(svc.clusterIP, svc.port), `goto ${internalChain}`);
  else element('no-endpoint-services', key(svc.clusterIP, svc.port), internalVerdict, name);
  for (const ip of svc.externalIPs) {
    if (cat.hasAny) element('service-ips', key(ip, svc.port), `goto ${externalChain}`);
    if (!hasExternal) element('no-endpoint-services', key(ip, svc.port), externalVerdict, name);
  }
  const usesFw = svc.loadBalancerVIPs.length > 0 && svc.loadBalancerSourceRanges.length > 0;
  if (usesFw) {
    ensureActive(fwChain);
    const sources = [...svc.loadBalancerSourceRanges];
    if (c.nodeIP && svc.loadBalancerSourceRanges.some((r) => prefixContains(r, c.nodeIP!)))
      sources.push(...svc.loadBalancerVIPs);
    rule(fwChain, `ip saddr != { ${sources.join(' , ')} } drop`);
  }
  for (const ip of svc.loadBalancerVIPs) {
    if (cat.hasAny) element('service-ips', key(ip, svc.port), `goto ${externalChain}`);
    if (usesFw) element('firewall-ips', key(ip, svc.port), `goto ${fwChain}`, name);
  }
  if (!hasExternal)
    for (const ip of svc.loadBalancerVIPs) element('no-endpoint-services', key(ip, svc.port), externalVerdict, name);
  if (svc.nodePort !== 0) {
    if (cat.hasAny) element('service-nodeports', `${proto} . ${svc.nodePort}`, `goto ${externalChain}`);
    if (!hasExternal) element('no-endpoint-nodeports', `${proto} . ${svc.nodePort}`, externalVerdict, name);
  }
  if (hasInternal) {
    if (c.masqueradeAll)
      rule(internalChain, `ip daddr ${svc.clusterIP} ${proto} dport ${svc.port} jump mark-for-masquerade`);
    else if (c.clusterCIDR)
      rule(
        internalChain,
        `ip daddr ${svc.clusterIP} ${proto} dport ${svc.port} ip saddr != ${c.clusterCIDR} jump mark-for-masquerade`,
      );
  }
  if (usesExt) {
    if (!svc.externalPolicyLocal) rule(externalChain, 'jump mark-for-masquerade');
    else {
      if (c.clusterCIDR)
        rule(externalChain, `ip saddr ${c.clusterCIDR} goto ${clusterChain}`, 'short-circuit pod traffic');
      rule(externalChain, 'fib saddr type local jump mark-for-masquerade', 'masquerade local traffic');
      rule(externalChain, `fib saddr type local goto ${clusterChain}`, 'short-circuit local traffic');
    }
    if (hasExternal) rule(externalChain, `goto ${externalPolicyChain}`);
  }
  if (svc.stickySeconds) {
    for (const e of cat.reachable) {
      const set = affinitySet(e);
      out.setLines.push(
        `add set ${T} ${set} { type ipv4_addr ; flags dynamic,timeout ; timeout ${svc.stickySeconds}s ; }`,
      );
      out.sets.push(set);
    }
  }
  const dispatch = (chain: string, eps: readonly EndpointInfo[]) => {
    if (svc.stickySeconds) for (const e of eps) rule(chain, `ip saddr @${affinitySet(e)} goto ${epChain(e)}`);
    rule(
      chain,
      `numgen random mod ${eps.length} vmap { ${eps.map((e, i) => `${i} : goto ${epChain(e)}`).join(' , ')} }`,
    );
  };
  if (usesCluster) dispatch(clusterChain, cat.cluster);
  if (usesLocal) dispatch(localChain, cat.local);
  for (const e of cat.reachable) {
    const ch = epChain(e);
    rule(ch, `ip saddr ${e.ip} jump mark-for-masquerade`);
    if (svc.stickySeconds) rule(ch, `update @${affinitySet(e)} { ip saddr }`);
    rule(ch, `meta l4proto ${proto} dnat to ${e.endpoint}`);
  }
  return out;
}
