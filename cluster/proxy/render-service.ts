// The rules of one service port, as kube-proxy's iptables proxier writes them in syncProxyRules:
// its entries in the shared chains (KUBE-SERVICES, KUBE-NODEPORTS, the filter chains) and its own
// chains (KUBE-SVC/SVL/EXT/FW/SEP). Pure: the same input always gives the same lines.
import { prefixContains } from '../../common/net/ipv4.js';
import { categorizeEndpoints, type EndpointInfo } from './endpoint-info.js';
import type { ProbabilityCache } from './probability.js';
import { usesClusterEndpoints, usesLocalEndpoints, type ServicePortInfo } from './service-port-info.js';

export const KUBE_SERVICES = 'KUBE-SERVICES';
export const KUBE_EXTERNAL_SERVICES = 'KUBE-EXTERNAL-SERVICES';
export const KUBE_NODEPORTS = 'KUBE-NODEPORTS';
export const KUBE_POSTROUTING = 'KUBE-POSTROUTING';
export const KUBE_MARK_MASQ = 'KUBE-MARK-MASQ';
export const KUBE_FORWARD = 'KUBE-FORWARD';
export const KUBE_PROXY_FIREWALL = 'KUBE-PROXY-FIREWALL';
export const KUBE_FIREWALL = 'KUBE-FIREWALL';

export interface RenderContext {
  /** The pod network; absent means kube-proxy cannot tell pod traffic apart (no masquerade rule). */
  clusterCIDR?: string;
  masqueradeAll: boolean;
  /** The node's primary address: load-balancer source ranges that contain it also admit the VIP itself. */
  nodeIP?: string;
  /** Over 1,000 endpoints kube-proxy drops per-endpoint comments to keep the ruleset small. */
  largeClusterMode: boolean;
  probabilities: ProbabilityCache;
}

export interface RenderedServicePort {
  /** Lines of the filter table (REJECT/DROP for missing endpoints, health-check ports). */
  filterRules: string[];
  /** This port's rules in KUBE-SERVICES and KUBE-NODEPORTS (nat), rewritten on every sync. */
  natEntryRules: string[];
  /** This port's own nat chains, declared with `:NAME - [0:0]`; skipped when unchanged. */
  ownChains: string[];
  ownRules: string[];
  /** What conntrack cleanup needs to know of this port (see conntrack-cleanup.ts). */
  flows: ServicePortFlows;
}

export interface ServicePortFlows {
  portKey: string;
  protocol: 'TCP' | 'UDP' | 'SCTP';
  /** Cluster IP, external IPs and load-balancer IPs. */
  serviceIPs: string[];
  nodePort: number;
  /** Addresses of the endpoints traffic is sent to (that have KUBE-SEP chains). */
  endpointIPs: string[];
}

/** `"..."`: kube-proxy quotes comments that contain spaces; names cannot hold quotes. */
const q = (s: string) => `"${s}"`;

export function renderServicePort(
  svc: ServicePortInfo,
  all: readonly EndpointInfo[],
  ctx: RenderContext,
): RenderedServicePort {
  const { proto, nameString: name, chains } = svc;
  const cat = categorizeEndpoints(all, svc);
  const flows: ServicePortFlows = {
    portKey: svc.portKey,
    protocol: svc.protocol,
    serviceIPs: [svc.clusterIP, ...svc.externalIPs, ...svc.loadBalancerVIPs],
    nodePort: svc.nodePort,
    endpointIPs: cat.reachable.map((e) => e.ip),
  };
  const out: RenderedServicePort = { filterRules: [], natEntryRules: [], ownChains: [], ownRules: [], flows };
  const hasEndpoints = cat.hasAny;

  const usesClusterChain = cat.cluster.length > 0 && usesClusterEndpoints(svc);
  const usesLocalChain = cat.local.length > 0 && usesLocalEndpoints(svc);
  const internalChain = svc.internalPolicyLocal ? chains.local : chains.cluster;
  const hasInternal = hasEndpoints && !(svc.internalPolicyLocal && cat.local.length === 0);
  const externalPolicyChain = svc.externalPolicyLocal ? chains.local : chains.cluster;
  const hasExternal = hasEndpoints && !(svc.externalPolicyLocal && cat.local.length === 0);
  // The EXT chain exists whenever there is any endpoint, so that pod-to-external-IP traffic can be
  // short-circuited even when no endpoint serves outside traffic.
  const usesExtChain = hasEndpoints && svc.externallyAccessible;
  const usesFwChain = hasEndpoints && svc.loadBalancerVIPs.length > 0 && svc.loadBalancerSourceRanges.length > 0;
  const lbChain = usesFwChain ? chains.firewall : chains.external;

  let internalTarget = '';
  let internalComment = '';
  let externalTarget = '';
  let externalComment = '';
  if (!hasEndpoints) {
    internalTarget = externalTarget = 'REJECT';
    internalComment = externalComment = q(`${name} has no endpoints`);
  } else {
    if (!hasInternal) [internalTarget, internalComment] = ['DROP', q(`${name} has no local endpoints`)];
    if (!hasExternal) [externalTarget, externalComment] = ['DROP', q(`${name} has no local endpoints`)];
  }
  const match = `-m ${proto} -p ${proto}`;
  const clusterIPMatch = `${match} -d ${svc.clusterIP} --dport ${svc.port}`;

  // Cluster IP.
  if (hasInternal) {
    out.natEntryRules.push(
      `-A KUBE-SERVICES -m comment --comment ${q(`${name} cluster IP`)} ${clusterIPMatch} -j ${internalChain}`,
    );
  } else {
    out.filterRules.push(
      `-A KUBE-SERVICES -m comment --comment ${internalComment} ${clusterIPMatch} -j ${internalTarget}`,
    );
  }
  // External IPs.
  for (const ip of svc.externalIPs) {
    if (hasEndpoints)
      out.natEntryRules.push(
        `-A KUBE-SERVICES -m comment --comment ${q(`${name} external IP`)} ${match} -d ${ip} --dport ${svc.port} -j ${chains.external}`,
      );
    if (!hasExternal)
      out.filterRules.push(
        `-A KUBE-EXTERNAL-SERVICES -m comment --comment ${externalComment} ${match} -d ${ip} --dport ${svc.port} -j ${externalTarget}`,
      );
  }
  // Load-balancer ingress IPs.
  for (const ip of svc.loadBalancerVIPs) {
    if (hasEndpoints)
      out.natEntryRules.push(
        `-A KUBE-SERVICES -m comment --comment ${q(`${name} loadbalancer IP`)} ${match} -d ${ip} --dport ${svc.port} -j ${lbChain}`,
      );
    if (usesFwChain)
      out.filterRules.push(
        `-A KUBE-PROXY-FIREWALL -m comment --comment ${q(`${name} traffic not accepted by ${chains.firewall}`)} ${match} -d ${ip} --dport ${svc.port} -j DROP`,
      );
  }
  if (!hasExternal) {
    for (const ip of svc.loadBalancerVIPs)
      out.filterRules.push(
        `-A KUBE-EXTERNAL-SERVICES -m comment --comment ${externalComment} ${match} -d ${ip} --dport ${svc.port} -j ${externalTarget}`,
      );
  }
  // NodePort: on every node address (KUBE-SERVICES' last rule sends local destinations here).
  if (svc.nodePort !== 0) {
    if (hasEndpoints)
      out.natEntryRules.push(
        `-A KUBE-NODEPORTS -m comment --comment ${name} ${match} --dport ${svc.nodePort} -j ${chains.external}`,
      );
    if (!hasExternal)
      out.filterRules.push(
        `-A KUBE-EXTERNAL-SERVICES -m comment --comment ${externalComment} -m addrtype --dst-type LOCAL ${match} --dport ${svc.nodePort} -j ${externalTarget}`,
      );
  }
  if (svc.healthCheckNodePort !== 0) {
    out.filterRules.push(
      `-A KUBE-NODEPORTS -m comment --comment ${q(`${name} health check node port`)} -m tcp -p tcp --dport ${svc.healthCheckNodePort} -j ACCEPT`,
    );
  }

  const chainsOut = out.ownChains;
  const rules = out.ownRules;
  // Off-cluster traffic to the cluster IP is masqueraded: its reply must come back through here.
  if (hasInternal) {
    if (ctx.masqueradeAll)
      rules.push(
        `-A ${internalChain} -m comment --comment ${q(`${name} cluster IP`)} ${clusterIPMatch} -j KUBE-MARK-MASQ`,
      );
    else if (ctx.clusterCIDR)
      rules.push(
        `-A ${internalChain} -m comment --comment ${q(`${name} cluster IP`)} ${clusterIPMatch} ! -s ${ctx.clusterCIDR} -j KUBE-MARK-MASQ`,
      );
  }
  if (usesExtChain) {
    const ext = chains.external;
    chainsOut.push(ext);
    if (!svc.externalPolicyLocal) {
      // Endpoints may be on another node: SNAT so the reply returns through this node.
      rules.push(
        `-A ${ext} -m comment --comment ${q(`masquerade traffic for ${name} external destinations`)} -j KUBE-MARK-MASQ`,
      );
    } else {
      if (ctx.clusterCIDR)
        rules.push(
          `-A ${ext} -m comment --comment ${q(`pod traffic for ${name} external destinations`)} -s ${ctx.clusterCIDR} -j ${chains.cluster}`,
        );
      rules.push(
        `-A ${ext} -m comment --comment ${q(`masquerade LOCAL traffic for ${name} external destinations`)} -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ`,
      );
      rules.push(
        `-A ${ext} -m comment --comment ${q(`route LOCAL traffic for ${name} external destinations`)} -m addrtype --src-type LOCAL -j ${chains.cluster}`,
      );
    }
    if (hasExternal) rules.push(`-A ${ext} -j ${externalPolicyChain}`);
  }
  if (usesFwChain) {
    const fw = chains.firewall;
    chainsOut.push(fw);
    const head = `-A ${fw} -m comment --comment ${q(`${name} loadbalancer IP`)}`;
    let allowFromNode = false;
    for (const cidr of svc.loadBalancerSourceRanges) {
      rules.push(`${head} -s ${cidr} -j ${chains.external}`);
      if (ctx.nodeIP && prefixContains(cidr, ctx.nodeIP)) allowFromNode = true;
    }
    // A VIP routed locally makes node-to-VIP requests loop back with the VIP as source.
    if (allowFromNode) for (const ip of svc.loadBalancerVIPs) rules.push(`${head} -s ${ip} -j ${chains.external}`);
    rules.push(`-A ${fw} -m comment --comment ${q(`other traffic to ${name} will be dropped by KUBE-PROXY-FIREWALL`)}`);
  }
  if (usesClusterChain) {
    chainsOut.push(chains.cluster);
    writeDispatchRules(rules, svc, chains.cluster, cat.cluster, ctx);
  }
  if (usesLocalChain) {
    chainsOut.push(chains.local);
    writeDispatchRules(rules, svc, chains.local, cat.local, ctx);
  }
  for (const ep of cat.reachable) {
    chainsOut.push(ep.chain);
    const head = ctx.largeClusterMode ? `-A ${ep.chain}` : `-A ${ep.chain} -m comment --comment ${name}`;
    // Hairpin: a pod reaching itself through the service must be SNATed or it would answer itself directly.
    rules.push(`${head} -s ${ep.ip} -j KUBE-MARK-MASQ`);
    const recent = svc.stickySeconds ? ` -m recent --name ${ep.chain} --set` : '';
    rules.push(`${head}${recent} ${match} -j DNAT --to-destination ${ep.endpoint}`);
  }
  return out;
}

/** KUBE-SVC/SVL → KUBE-SEP: affinity checks first, then the 1/n, 1/(n-1), … random choice. */
function writeDispatchRules(
  rules: string[],
  svc: ServicePortInfo,
  chain: string,
  eps: readonly EndpointInfo[],
  ctx: RenderContext,
): void {
  const comment = (ep: EndpointInfo) =>
    ctx.largeClusterMode ? '' : ` -m comment --comment ${q(`${svc.nameString} -> ${ep.endpoint}`)}`;
  if (svc.stickySeconds) {
    for (const ep of eps) {
      rules.push(
        `-A ${chain}${comment(ep)} -m recent --name ${ep.chain} --rcheck --seconds ${svc.stickySeconds} --reap -j ${ep.chain}`,
      );
    }
  }
  const n = eps.length;
  eps.forEach((ep, i) => {
    const stat = i < n - 1 ? ` -m statistic --mode random --probability ${ctx.probabilities.probability(n - i)}` : '';
    rules.push(`-A ${chain}${comment(ep)}${stat} -j ${ep.chain}`);
  });
}
