// What flannel and its CNI delegate would configure on a node, computed from the topology: the
// VtepMAC, subnet.env, the bridge plugin's config and the masquerade rules. Pure.
import { createHash } from 'node:crypto';
import { cidrNth, cidrSize, formatIpv4, parseCidr, parseIpv4 } from '../../common/net/ipv4.js';
import { ANNOTATION_PINNED_PODS, parsePodPins } from '../../common/topology/pod-pins.js';
import type { NodeSpec, Topology } from '../../common/topology/types.js';

/** A stable, locally administered unicast MAC for a node's flannel.1 when the topology gives none. */
export function vtepMacFor(topo: Topology, node: NodeSpec): string {
  if (node.vtepMAC) return node.vtepMAC;
  const h = createHash('sha256').update(`${topo.name}/${node.name}/flannel.1`).digest();
  const bytes = [...h.subarray(0, 6)];
  bytes[0] = (bytes[0]! & 0xfe) | 0x02;
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/** flannel.1's address (`<subnet>.0`) and cni0's (`<subnet>.1`). */
export function vtepAddress(node: NodeSpec): string {
  return formatIpv4(parseCidr(node.subnet).network);
}
export function bridgeGateway(node: NodeSpec): string {
  return formatIpv4(cidrNth(parseCidr(node.subnet), 1));
}

export function subnetEnv(topo: Topology, node: NodeSpec): string {
  const len = parseCidr(node.subnet).length;
  return [
    `FLANNEL_NETWORK=${topo.podNetwork}`,
    `FLANNEL_SUBNET=${bridgeGateway(node)}/${len}`,
    `FLANNEL_MTU=${topo.flannel.mtu}`,
    'FLANNEL_IPMASQ=true',
    '',
  ].join('\n');
}

/** The network config flannel's CNI plugin hands to `bridge` (network cbr0, bridge cni0). */
export function cniBridgeConfig(topo: Topology, node: NodeSpec, dataDir: string): object {
  return {
    cniVersion: '1.0.0',
    name: 'cbr0',
    type: 'bridge',
    bridge: 'cni0',
    isGateway: true,
    ipMasq: false,
    hairpinMode: true,
    mtu: topo.flannel.mtu,
    ipam: {
      type: 'host-local',
      dataDir,
      ranges: [[{ subnet: node.subnet }]],
      routes: [{ dst: '0.0.0.0/0' }, { dst: topo.podNetwork }],
    },
  };
}

/** The addresses the topology pins on a node: its static pods' and its Deployments' pinned pods'. */
export function pinnedAddresses(topo: Topology, node: NodeSpec): string[] {
  const out = new Set(node.pods.flatMap((p) => (p.ip ? [p.ip] : [])));
  for (const o of topo.objects ?? []) {
    const meta = o.manifest.metadata as { annotations?: Record<string, string> } | undefined;
    const text = meta?.annotations?.[ANNOTATION_PINNED_PODS];
    if (!text) continue;
    for (const pin of parsePodPins(text)) if (pin.node === node.name && pin.ip) out.add(pin.ip);
  }
  return [...out];
}

/**
 * The same network for pods that bring no address of their own: host-local's range set leaves out
 * the addresses the topology pins on this node. host-local walks on from the last address it
 * reserved, a requested one included, so after kubia-rpr99 took .72 a coredns or ingress pod
 * created before kubia-24hmb would otherwise take .73 and the pinned pod could never start. The
 * store (dataDir, network cbr0) is shared with cniBridgeConfig's, so both see every reservation.
 */
export function cniDynamicConfig(topo: Topology, node: NodeSpec, dataDir: string): object {
  const base = cniBridgeConfig(topo, node, dataDir) as { ipam: Record<string, unknown> };
  const net = parseCidr(node.subnet);
  const pinned = new Set(pinnedAddresses(topo, node).map(parseIpv4));
  const gateway = bridgeGateway(node);
  const ranges: { subnet: string; rangeStart: string; rangeEnd: string; gateway: string }[] = [];
  let start: number | undefined;
  // From .2 (after cni0's .1) to the last address before broadcast.
  const first = net.network + 2;
  const last = net.network + cidrSize(net) - 2;
  for (let ip = first; ip <= last + 1; ip++) {
    const usable = ip <= last && !pinned.has(ip);
    if (usable && start === undefined) start = ip;
    if (!usable && start !== undefined) {
      ranges.push({ subnet: node.subnet, rangeStart: formatIpv4(start), rangeEnd: formatIpv4(ip - 1), gateway });
      start = undefined;
    }
  }
  return { ...base, ipam: { ...base.ipam, ranges: [ranges] } };
}

export const MASQ_CHAIN = 'KW-FLANNEL-POSTRTG';

/** flanneld's masquerade rules (as the article's `iptables -t nat -L POSTROUTING` lists them). */
export function masqueradeRules(topo: Topology, node: NodeSpec): string[] {
  const net = topo.podNetwork;
  const c = MASQ_CHAIN;
  return [
    `-A ${c} -s ${net} -d ${net} -j RETURN`,
    `-A ${c} -s ${net} ! -d 224.0.0.0/4 -j MASQUERADE`,
    `-A ${c} ! -s ${net} -d ${node.subnet} -j RETURN`,
    `-A ${c} ! -s ${net} -d ${net} -j MASQUERADE`,
  ];
}

export const FORWARD_CHAIN = 'KW-FLANNEL-FWD';

/**
 * flanneld's forward rules (flannel 0.11, the article's `iptables -t filter -nL` FORWARD): pod
 * traffic is accepted even where FORWARD's policy is DROP (docker sets it so).
 */
export function forwardRules(topo: Topology): string[] {
  const net = topo.podNetwork;
  return [`-A ${FORWARD_CHAIN} -s ${net} -j ACCEPT`, `-A ${FORWARD_CHAIN} -d ${net} -j ACCEPT`];
}

export interface VtepPeer {
  subnet: string;
  vtep: string;
  mac: string;
  underlay: string;
}

/** In static mode every other node is programmed up front: route, neighbour, FDB. */
export function vtepPeers(topo: Topology, self: NodeSpec): VtepPeer[] {
  return topo.nodes
    .filter((n) => n.name !== self.name)
    .map((n) => ({ subnet: n.subnet, vtep: vtepAddress(n), mac: vtepMacFor(topo, n), underlay: n.address }));
}
