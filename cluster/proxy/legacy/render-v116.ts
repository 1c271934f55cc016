// The ruleset kube-proxy v1.16 (the article's, October 2019) wrote in syncProxyRules, rendered from
// the same Services and endpoints as today's. What makes it that release's, from its proxier.go:
// - chain names hash ServicePortName.String() as it was then, "ns/name:port" with the colon even
//   for an unnamed port ("default/kubia:" + "tcp" → KUBE-SVC-L5EAUEZ74VZL5GSC);
// - comments "default/kubia: cluster IP", and "default/kubia:" on KUBE-NODEPORTS;
// - --probability with Go's "%0.5f" (0.16667: iptables -L prints it as 0.16667000018);
// - no comments on KUBE-SVC/KUBE-SEP rules: appendServiceCommentLocked appended to its own copy of
//   the slice and returned nothing, so the comment it meant to add was lost (fixed in 1.18);
// - KUBE-POSTROUTING is one MASQUERADE on the mark; KUBE-MARK-MASQ sets it with --set-xmark;
// - XLB/FW chains for Local policy and load balancers, REJECT rules for services without endpoints
//   in the filter table, KUBE-FORWARD with INVALID drop and the pod-CIDR conntrack rules.
// Every sync is a full one: the shared chains and every service chain are declared (flushed) and
// written again, stale KUBE-SVC/SEP/FW/XLB chains deleted. Services go in sorted order (1.16 walked
// a Go map, so its order varied from sync to sync; sorting keeps the output comparable).
import { legacyServicePortNameString, portProtoHash, serviceEndpointChain } from '../chain-names.js';
import type { EndpointInfo } from '../endpoint-info.js';
import { formatFixedLikeGo } from '../probability.js';
import type { NormalizedNodeConfig } from '../render-ruleset.js';
import { prefixContains } from '../../../common/net/ipv4.js';
import type { ServicePortInfo } from '../service-port-info.js';

/** One jump rule of 1.16's iptablesJumpChains, ensured with EnsureRule(Prepend). */
export interface LegacyJump {
  table: 'filter' | 'nat';
  from: string;
  to: string;
  spec: string;
}

const NEW = '-m conntrack --ctstate NEW ';
const j = (table: 'filter' | 'nat', to: string, from: string, comment: string, extra = ''): LegacyJump => ({
  table,
  from,
  to,
  spec: `${extra}-m comment --comment "${comment}" -j ${to}`,
});

/**
 * In ensure order (each prepended, so the last one ends up first in its chain). 1.16 also jumped
 * FORWARD → KUBE-SERVICES in some builds; the article's FORWARD listing has no such rule, so the
 * list follows what the article's node shows.
 */
export const V116_JUMPS: readonly LegacyJump[] = [
  j('filter', 'KUBE-EXTERNAL-SERVICES', 'INPUT', 'kubernetes externally-visible service portals', NEW),
  j('filter', 'KUBE-SERVICES', 'OUTPUT', 'kubernetes service portals', NEW),
  j('filter', 'KUBE-SERVICES', 'INPUT', 'kubernetes service portals', NEW),
  j('filter', 'KUBE-FORWARD', 'FORWARD', 'kubernetes forwarding rules'),
  j('nat', 'KUBE-SERVICES', 'OUTPUT', 'kubernetes service portals'),
  j('nat', 'KUBE-SERVICES', 'PREROUTING', 'kubernetes service portals'),
  j('nat', 'KUBE-POSTROUTING', 'POSTROUTING', 'kubernetes postrouting rules'),
];

export const V116_STALE_PREFIXES = ['KUBE-SVC-', 'KUBE-SEP-', 'KUBE-FW-', 'KUBE-XLB-', 'KUBE-EXT-', 'KUBE-SVL-'];

export interface V116Service {
  port: ServicePortInfo;
  /** Endpoints of this port (ready ones are used, as 1.16 read Endpoints' addresses). */
  endpoints: readonly EndpointInfo[];
}

export interface V116Input {
  config: NormalizedNodeConfig;
  services: readonly V116Service[];
  /** Chains present in the nat table now (iptables-save): stale service chains are deleted. */
  existingNatChains?: ReadonlySet<string>;
  /** Jump rules to insert because iptables-save does not show them. */
  missingJumps?: readonly LegacyJump[];
}

export interface V116Output {
  text: string;
  /** Service and endpoint chains written. */
  chains: string[];
  staleChainsDeleted: number;
}

/** Go's "%#08x/%#08x" of 1<<bit, as 1.16 built its masquerade mark. */
const markPair = (mark: string) => `${mark}/${mark}`;

export function renderV116(input: V116Input): V116Output {
  const c = input.config;
  const mark = markPair(c.mark);
  const cidr = c.clusterCIDR;
  const filterChains = ['KUBE-SERVICES', 'KUBE-EXTERNAL-SERVICES', 'KUBE-FORWARD'].map((ch) => `:${ch} - [0:0]`);
  const natChains = ['KUBE-SERVICES', 'KUBE-NODEPORTS', 'KUBE-POSTROUTING', 'KUBE-MARK-MASQ'].map(
    (ch) => `:${ch} - [0:0]`,
  );
  const filterRules: string[] = [];
  const natRules: string[] = [
    `-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -m mark --mark ${mark} -j MASQUERADE`,
    `-A KUBE-MARK-MASQ -j MARK --set-xmark ${mark}`,
  ];
  const active = new Set<string>();
  let needsMarkDrop = false;
  const declare = (ch: string) => {
    if (active.has(ch)) return;
    active.add(ch);
    natChains.push(`:${ch} - [0:0]`);
  };

  for (const { port: svc, endpoints: all } of input.services) {
    const [namespace, name] = svc.serviceKey.split('/') as [string, string];
    const svcName = legacyServicePortNameString(namespace, name, svc.portName);
    const proto = svc.proto;
    const hash = portProtoHash(svcName, proto);
    const svcChain = `KUBE-SVC-${hash}`;
    const fwChain = `KUBE-FW-${hash}`;
    const xlbChain = `KUBE-XLB-${hash}`;
    const onlyLocal = svc.externalPolicyLocal;
    const eps = all.filter((e) => e.ready);
    const hasEndpoints = eps.length > 0;
    const match = `-m ${proto} -p ${proto}`;
    const q = (s: string) => `"${s}"`;

    if (hasEndpoints) declare(svcChain);
    if (onlyLocal) declare(xlbChain);
    if (hasEndpoints) {
      const head = `-A KUBE-SERVICES -m comment --comment ${q(`${svcName} cluster IP`)} ${match} -d ${svc.clusterIP}/32 --dport ${svc.port}`;
      if (c.masqueradeAll) natRules.push(`${head} -j KUBE-MARK-MASQ`);
      else if (cidr) natRules.push(`${head} ! -s ${cidr} -j KUBE-MARK-MASQ`);
      natRules.push(`${head} -j ${svcChain}`);
    } else {
      filterRules.push(
        `-A KUBE-SERVICES -m comment --comment ${q(`${svcName} has no endpoints`)} ${match} -d ${svc.clusterIP}/32 --dport ${svc.port} -j REJECT`,
      );
    }
    for (const ip of svc.externalIPs) {
      if (hasEndpoints) {
        const head = `-A KUBE-SERVICES -m comment --comment ${q(`${svcName} external IP`)} ${match} -d ${ip}/32 --dport ${svc.port}`;
        natRules.push(`${head} -j KUBE-MARK-MASQ`);
        // Only outside traffic (not a bridged pod, not this node) goes straight to the service.
        natRules.push(`${head} -m physdev ! --physdev-is-in -m addrtype ! --src-type LOCAL -j ${svcChain}`);
        natRules.push(`${head} -m addrtype --dst-type LOCAL -j ${svcChain}`);
      } else {
        filterRules.push(
          `-A KUBE-EXTERNAL-SERVICES -m comment --comment ${q(`${svcName} has no endpoints`)} ${match} -d ${ip}/32 --dport ${svc.port} -j REJECT`,
        );
      }
    }
    if (hasEndpoints) {
      for (const ip of svc.loadBalancerVIPs) {
        declare(fwChain);
        natRules.push(
          `-A KUBE-SERVICES -m comment --comment ${q(`${svcName} loadbalancer IP`)} ${match} -d ${ip}/32 --dport ${svc.port} -j ${fwChain}`,
        );
        const head = `-A ${fwChain} -m comment --comment ${q(`${svcName} loadbalancer IP`)}`;
        let chosen = xlbChain;
        if (!onlyLocal) {
          natRules.push(`${head} -j KUBE-MARK-MASQ`);
          chosen = svcChain;
        }
        if (svc.loadBalancerSourceRanges.length === 0) {
          natRules.push(`${head} -j ${chosen}`);
        } else {
          let allowFromNode = false;
          for (const src of svc.loadBalancerSourceRanges) {
            natRules.push(`${head} -s ${src} -j ${chosen}`);
            if (c.nodeIP && prefixContains(src, c.nodeIP)) allowFromNode = true;
          }
          if (allowFromNode) natRules.push(`${head} -s ${ip}/32 -j ${chosen}`);
        }
        // Whatever the source ranges did not take is dropped.
        natRules.push(`${head} -j KUBE-MARK-DROP`);
        needsMarkDrop = true;
      }
    }
    if (svc.nodePort !== 0) {
      if (hasEndpoints) {
        const head = `-A KUBE-NODEPORTS -m comment --comment ${svcName} ${match} --dport ${svc.nodePort}`;
        if (!onlyLocal) {
          natRules.push(`${head} -j KUBE-MARK-MASQ`);
          natRules.push(`${head} -j ${svcChain}`);
        } else {
          natRules.push(`${head} -s 127.0.0.0/8 -j KUBE-MARK-MASQ`);
          natRules.push(`${head} -j ${xlbChain}`);
        }
      } else {
        filterRules.push(
          `-A KUBE-EXTERNAL-SERVICES -m comment --comment ${q(`${svcName} has no endpoints`)} -m addrtype --dst-type LOCAL ${match} --dport ${svc.nodePort} -j REJECT`,
        );
      }
    }
    if (!hasEndpoints) continue;

    const chains = eps.map((e) => serviceEndpointChain(svcName, proto, e.endpoint));
    for (const ch of chains) declare(ch);
    if (svc.stickySeconds) {
      for (const ch of chains)
        natRules.push(`-A ${svcChain} -m recent --name ${ch} --rcheck --seconds ${svc.stickySeconds} --reap -j ${ch}`);
    }
    const n = chains.length;
    chains.forEach((ch, i) => {
      const ep = eps[i]!;
      const stat = i < n - 1 ? ` -m statistic --mode random --probability ${formatFixedLikeGo(1 / (n - i), 5)}` : '';
      natRules.push(`-A ${svcChain}${stat} -j ${ch}`);
      natRules.push(`-A ${ch} -s ${ep.ip}/32 -j KUBE-MARK-MASQ`);
      const recent = svc.stickySeconds ? ` -m recent --name ${ch} --set` : '';
      natRules.push(`-A ${ch}${recent} ${match} -j DNAT --to-destination ${ep.endpoint}`);
    });
    if (!onlyLocal) continue;

    const local = eps.map((e, i) => ({ e, ch: chains[i]! })).filter((x) => x.e.isLocal);
    if (cidr)
      natRules.push(
        `-A ${xlbChain} -m comment --comment "Redirect pods trying to reach external loadbalancer VIP to clusterIP" -s ${cidr} -j ${svcChain}`,
      );
    if (local.length === 0) {
      natRules.push(`-A ${xlbChain} -m comment --comment ${q(`${svcName} has no local endpoints`)} -j KUBE-MARK-DROP`);
      needsMarkDrop = true;
    } else {
      if (svc.stickySeconds) {
        for (const { ch } of local)
          natRules.push(
            `-A ${xlbChain} -m comment --comment ${svcName} -m recent --name ${ch} --rcheck --seconds ${svc.stickySeconds} --reap -j ${ch}`,
          );
      }
      local.forEach(({ ch }, i) => {
        const stat =
          i < local.length - 1
            ? ` -m statistic --mode random --probability ${formatFixedLikeGo(1 / (local.length - i), 5)}`
            : '';
        natRules.push(`-A ${xlbChain} -m comment --comment ${q(`Balancing rule ${i} for ${svcName}`)}${stat} -j ${ch}`);
      });
    }
  }

  let staleChainsDeleted = 0;
  for (const ch of [...(input.existingNatChains ?? [])].sort()) {
    if (active.has(ch) || !V116_STALE_PREFIXES.some((p) => ch.startsWith(p))) continue;
    natChains.push(`:${ch} - [0:0]`);
    natRules.push(`-X ${ch}`);
    staleChainsDeleted++;
  }
  if (needsMarkDrop) {
    // Made by the kubelet of that release; kube-proxy only jumps to it.
    natChains.push(':KUBE-MARK-DROP - [0:0]');
    natRules.push('-A KUBE-MARK-DROP -j MARK --set-xmark 0x00008000/0x00008000');
  }
  natRules.push(
    '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS',
  );
  filterRules.push('-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP');
  filterRules.push(
    `-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark ${mark} -j ACCEPT`,
  );
  if (cidr) {
    filterRules.push(
      `-A KUBE-FORWARD -s ${cidr} -m comment --comment "kubernetes forwarding conntrack pod source rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
    );
    filterRules.push(
      `-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack pod destination rule" -d ${cidr} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
    );
  }
  const jumps = (t: string) =>
    (input.missingJumps ?? []).filter((x) => x.table === t).map((x) => `-I ${x.from} 1 ${x.spec}`);
  const text = [
    '*filter',
    ...filterChains,
    ...jumps('filter'),
    ...filterRules,
    'COMMIT',
    '*nat',
    ...natChains,
    ...jumps('nat'),
    ...natRules,
    'COMMIT',
    '',
  ].join('\n');
  return { text, chains: [...active], staleChainsDeleted };
}
