// One node's network, as flannel and the CNI plugins leave it: eth0 on the underlay, flannel.1
// (VXLAN) with a route, neighbour and FDB entry per other node, flannel's masquerade rules,
// subnet.env and the cbr0 CNI config (cni0 itself is made by the bridge plugin with the first pod),
// plus an optional second bridge with a host behind it (the article's docker0).
import type { NodeSpec, Topology } from '../../common/topology/types.js';
import type { HostDriver } from '../host/host-driver.js';
import type { LabNames } from '../lab/lab-names.js';
import type { LabPaths } from '../lab/lab-paths.js';
import { writeNetnsEtc } from '../lab/netns-etc.js';
import { attachToUnderlay, nodeNetLength, UNDERLAY_MTU } from './cloud.js';
import {
  cniBridgeConfig,
  cniDynamicConfig,
  FORWARD_CHAIN,
  forwardRules,
  masqueradeRules,
  MASQ_CHAIN,
  subnetEnv,
  vtepAddress,
  vtepMacFor,
  vtepPeers,
} from './flannel-config.js';

export const VXLAN_DEV = 'flannel.1';

export async function attachNode(driver: HostDriver, names: LabNames, topo: Topology, node: NodeSpec): Promise<void> {
  await attachToUnderlay(
    driver,
    names,
    names.node(node.name),
    node.name,
    `${node.address}/${nodeNetLength(topo)}`,
    topo.gateway.address,
    node.eth0MAC,
  );
}

/** What flannel leaves in the node's files: subnet.env and the cbr0 config its CNI plugin delegates. */
export async function writeNodeFiles(
  driver: HostDriver,
  paths: LabPaths,
  topo: Topology,
  node: NodeSpec,
): Promise<void> {
  await Promise.all([
    driver.writeFile(paths.subnetEnv(node.name), subnetEnv(topo, node)),
    driver.writeFile(
      paths.cniConf(node.name),
      JSON.stringify(cniBridgeConfig(topo, node, paths.cniDataDir(node.name)), null, 2) + '\n',
    ),
    driver.writeFile(
      paths.cniDynamicConf(node.name),
      JSON.stringify(cniDynamicConfig(topo, node, paths.cniDataDir(node.name)), null, 2) + '\n',
    ),
  ]);
}

export async function deployNodeNetwork(
  driver: HostDriver,
  names: LabNames,
  topo: Topology,
  node: NodeSpec,
): Promise<void> {
  const ns = names.node(node.name);
  const f = topo.flannel;
  await driver.script('vxlan.sh', [
    ns,
    VXLAN_DEV,
    String(f.vni),
    node.address,
    'eth0',
    String(f.port),
    String(f.mtu),
    vtepMacFor(topo, node),
    `${vtepAddress(node)}/32`,
    ...(f.mode === 'miss' ? ['--miss'] : []),
  ]);
  const tasks: Promise<unknown>[] = [
    driver.script('iptables-apply.sh', [ns, 'nat', MASQ_CHAIN, 'POSTROUTING'], {
      input: masqueradeRules(topo, node).join('\n') + '\n',
    }),
    driver.script('iptables-apply.sh', [ns, 'filter', FORWARD_CHAIN, 'FORWARD'], {
      input: forwardRules(topo).join('\n') + '\n',
    }),
    writeNetnsEtc(driver, ns, node.name, topo.internet.dns, node.address),
  ];
  if (f.mode === 'static') {
    tasks.push(
      driver.script('vxlan-peers.sh', [
        ns,
        VXLAN_DEV,
        ...vtepPeers(topo, node).flatMap((p) => [p.subnet, p.vtep, p.mac, p.underlay]),
      ]),
    );
  }
  if (node.bridge) tasks.push(deploySecondBridge(driver, names, topo, node));
  // The article's cni0 MAC (brctl show: 8000.4ea6bbc7b9d7): the bridge plugin would pick a random one.
  if (node.cniBridgeMAC)
    tasks.push(driver.script('bridge.sh', [ns, 'cni0', String(f.mtu), '--mac', node.cniBridgeMAC]));
  await Promise.all(tasks);
}

async function deploySecondBridge(driver: HostDriver, names: LabNames, topo: Topology, node: NodeSpec): Promise<void> {
  const b = node.bridge!;
  const ns = names.node(node.name);
  await driver.script('bridge.sh', [ns, b.name, String(UNDERLAY_MTU), b.address]);
  if (!b.host) return;
  const host = names.dockerHost(node.name);
  const [gw, len] = b.address.split('/');
  await Promise.all([
    driver.script('attach.sh', [
      host,
      'eth0',
      ns,
      `${b.name}-host`,
      String(UNDERLAY_MTU),
      '--addr',
      `${b.host}/${len}`,
      '--peer-master',
      b.name,
      '--route',
      'default',
      gw!,
    ]),
    writeNetnsEtc(driver, host, `${b.name}-host`, topo.internet.dns, b.host),
  ]);
}
