// One-shot rendering: the full ruleset kube-proxy would write on a fresh node for these objects.
// For tests and for showing a learner the restore input without touching any namespace.
import { JUMP_RULES } from './jump-rules.js';
import { normalizeNodeConfig } from './node-config.js';
import { ProbabilityCache } from './probability.js';
import { LARGE_CLUSTER_ENDPOINTS } from './proxier.js';
import { ProxyState } from './proxy-state.js';
import type { EndpointSliceObject, ProxyNodeConfig, ServiceObject } from './proxy-types.js';
import { assembleRuleset } from './render-ruleset.js';

export interface RenderClusterInput {
  services: readonly ServiceObject[];
  endpointSlices: readonly EndpointSliceObject[];
  config: ProxyNodeConfig;
  /** Include the jump rules and canary chains a first sync on an empty node adds (default false). */
  withJumps?: boolean;
}

export function renderRuleset(input: RenderClusterInput): string {
  const config = normalizeNodeConfig(input.config);
  const state = new ProxyState(config.nodeName);
  for (const s of input.services) state.upsertService(s);
  for (const s of input.endpointSlices) state.upsertEndpointSlice(s);
  const keys = state.serviceKeys();
  const total = keys.reduce((n, k) => n + state.endpointCount(k), 0);
  const ctx = {
    masqueradeAll: config.masqueradeAll,
    largeClusterMode: total > LARGE_CLUSTER_ENDPOINTS,
    probabilities: new ProbabilityCache(),
    ...(config.clusterCIDR ? { clusterCIDR: config.clusterCIDR } : {}),
    ...(config.nodeIP ? { nodeIP: config.nodeIP } : {}),
  };
  return assembleRuleset({
    config,
    services: keys.map((k) => ({ serviceKey: k, ports: state.render(k, ctx) })),
    writeOwnChains: () => true,
    staleChains: [],
    ...(input.withJumps ? { missingJumps: JUMP_RULES, declareCanary: true, declareKubeletFirewall: true } : {}),
  }).text;
}
