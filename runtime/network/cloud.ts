// The emulated cloud around the nodes: the underlay switch (a bridge in its own namespace), the
// gateway that NATs node traffic (TCP/UDP only, like the article's cloud, so ping to the Internet
// gets no answer) and the Internet namespace whose hosts answer HTTP and DNS.
import { parseCidr } from '../../common/net/ipv4.js';
import type { Topology } from '../../common/topology/types.js';
import type { HostDriver } from '../host/host-driver.js';
import type { LabNames } from '../lab/lab-names.js';

export const UNDERLAY_BRIDGE = 'br0';
export const UNDERLAY_MTU = 1500;
export const GATEWAY_MASQ_CHAIN = 'KW-GATEWAY-MASQ';
/** Routing table of the Internet namespace holding its TCP/UDP-only route to the node network. */
export const INTERNET_NODE_ROUTE_TABLE = 100;

/** Length of the node network's prefix, for eth0 addresses. */
export function nodeNetLength(topo: Topology): number {
  return parseCidr(topo.nodeNetwork).length;
}

export async function deployUnderlaySwitch(driver: HostDriver, names: LabNames): Promise<void> {
  await driver.script('bridge.sh', [names.underlay, UNDERLAY_BRIDGE, String(UNDERLAY_MTU)]);
}

/** Plugs `netns` into the underlay switch: its eth0 (address, default route), a br0 port named `port`. */
export async function attachToUnderlay(
  driver: HostDriver,
  names: LabNames,
  netns: string,
  port: string,
  cidr: string,
  gateway?: string,
  mac?: string,
): Promise<void> {
  await driver.script('attach.sh', [
    netns,
    'eth0',
    names.underlay,
    port,
    String(UNDERLAY_MTU),
    '--addr',
    cidr,
    ...(mac ? ['--mac', mac] : []),
    '--peer-master',
    UNDERLAY_BRIDGE,
    ...(gateway ? ['--route', 'default', gateway] : []),
  ]);
}

export async function deployGateway(driver: HostDriver, names: LabNames, topo: Topology): Promise<void> {
  const routerIp = topo.internet.router.split('/')[0]!;
  const hostsNet = topo.internet.hosts.map((h) => `${h.address}/32`);
  await driver.script('attach.sh', [
    names.gateway,
    'eth1',
    names.internet,
    'eth0',
    String(UNDERLAY_MTU),
    '--addr',
    topo.gateway.uplink,
    '--peer-addr',
    topo.internet.router,
    '--route',
    'default',
    routerIp,
  ]);
  await Promise.all([
    driver.script('addrs.sh', [names.internet, 'lo', ...hostsNet, `${topo.internet.dns}/32`]),
    // The node network is routed from the Internet through the gateway (a cloud VPC's public
    // side), so a NodePort answers `curl <node address>:<nodePort>` from outside; for TCP and UDP
    // only, so that ICMP still finds no way back and `ping google.com` from a pod gets no answer.
    driver.script('proto-route.sh', [
      names.internet,
      String(INTERNET_NODE_ROUTE_TABLE),
      topo.nodeNetwork,
      topo.gateway.uplink.split('/')[0]!,
      'tcp',
      'udp',
    ]),
    driver.script('iptables-apply.sh', [names.gateway, 'nat', GATEWAY_MASQ_CHAIN, 'POSTROUTING'], {
      input: [
        `-A ${GATEWAY_MASQ_CHAIN} -o eth1 -p tcp -j MASQUERADE`,
        `-A ${GATEWAY_MASQ_CHAIN} -o eth1 -p udp -j MASQUERADE`,
        '',
      ].join('\n'),
    }),
  ]);
}
