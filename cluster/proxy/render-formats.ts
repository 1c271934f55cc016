// One-shot rendering of the same Services and EndpointSlices in each rule format kube-proxy can
// write here: `current` (today's iptables proxier), `article` (kube-proxy 1.16, the article's) and
// `nftables` (table ip kube-proxy). For the UI's side-by-side view and for golden tests; nothing is
// written to any namespace.
import { v116Services } from './legacy/article-proxier.js';
import { renderV116, V116_JUMPS } from './legacy/render-v116.js';
import { nftServices } from './nftables/nft-proxier.js';
import { renderNft } from './nftables/nft-transaction.js';
import { normalizeNodeConfig } from './node-config.js';
import { ProxyState } from './proxy-state.js';
import type { EndpointSliceObject, ProxyNodeConfig, ServiceObject } from './proxy-types.js';
import { renderRuleset } from './render-cluster.js';

export const RULE_FORMATS = ['current', 'article', 'nftables'] as const;
export type RuleFormat = (typeof RULE_FORMATS)[number];

export interface RenderFormatInput {
  services: readonly ServiceObject[];
  endpointSlices: readonly EndpointSliceObject[];
  config: ProxyNodeConfig;
  /** iptables formats: include the jump rules a first sync on an empty node adds. */
  withJumps?: boolean;
}

export function renderRulesetAs(format: RuleFormat, input: RenderFormatInput): string {
  if (format === 'current') return renderRuleset(input);
  const config = normalizeNodeConfig(input.config);
  const state = new ProxyState(config.nodeName);
  const byKey = new Map<string, ServiceObject>();
  for (const s of input.services) {
    state.upsertService(s);
    byKey.set(`${s.metadata.namespace ?? 'default'}/${s.metadata.name}`, s);
  }
  for (const s of input.endpointSlices) state.upsertEndpointSlice(s);
  if (format === 'article')
    return renderV116({
      config,
      services: v116Services(state, byKey),
      ...(input.withJumps ? { missingJumps: V116_JUMPS } : {}),
    }).text;
  return renderNft({ config, services: nftServices(state, byKey) }).text;
}
