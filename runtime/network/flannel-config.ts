// What flannel and its CNI delegate would configure on a node, computed from the topology: the
// VtepMAC, subnet.env, the bridge plugin's config and the masquerade rules. Pure.
import { createHash } from 'node:crypto';
import { cidrNth, formatIpv4, parseCidr } from '../../common/net/ipv4.js';
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
