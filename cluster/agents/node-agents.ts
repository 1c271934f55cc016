// One node's agents as the cluster process runs them: the node container (its init, namespaces and
// cgroup parent, where the pods run), node registration, flanneld, the kubelet with its server on the
// node's port 10250, and kube-proxy — each talking to the apiserver as system:node:<name>.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Pod } from '../../common/api-types.js';
import type { NodeSpec, Topology } from '../../common/topology/types.js';
import type { HostDriver } from '../../runtime/host/host-driver.js';
import type { ImageService } from '../../runtime/images/image-service.js';
import type { LabNames } from '../../runtime/lab/lab-names.js';
import type { LabPaths } from '../../runtime/lab/lab-paths.js';
import { podKey, type LabState, type PodRecord } from '../../runtime/lab/lab-state.js';
import { vtepMacFor } from '../../runtime/network/flannel-config.js';
import { VXLAN_DEV } from '../../runtime/network/node-network.js';
import type { Clock } from '../client/clock.js';
import type { KubeClient } from '../client/kube-client.js';
import type { Disposer } from '../client/rest-client.js';
import { HostDriverConntrackCleaner } from '../proxy/conntrack-cleanup.js';
import { makeProxyBackend } from '../proxy/make-proxy-backend.js';
import { HostDriverIptablesRestorer } from '../proxy/netns-iptables-restorer.js';
import { HostDriverNftApplier } from '../proxy/nftables/nft-applier.js';
import { clusterDnsResolvConf, type ClusterDnsConfig } from './dns/cluster-dns-config.js';
import { Flanneld } from './flannel/flanneld.js';
import { startKubeletServer, type KubeletServing } from './kubelet-server/kubelet-serving.js';
import { kubeletListenFd, type NodePort } from './kubelet-server/node-port.js';
import { Kubelet } from './kubelet/kubelet.js';
import { MIRROR_ANNOTATION } from './kubelet/static-pods.js';
import { KubeletRecords } from './kubelet/kubelet-records.js';
import { NodeAgent } from './node/node-agent.js';
import { nodeRuntime, type NodeRuntime } from './node/node-runtime.js';
import { KubeProxyAgent } from './proxy/kube-proxy-agent.js';

export interface NodeAgents {
  node: NodeSpec;
  netns: string;
  kubelet: Kubelet;
  flanneld: Flanneld;
  proxy: KubeProxyAgent;
  runtime: NodeRuntime;
  stop: Disposer;
}

/** The host side of a lab's nodes: its folders, the host driver, images and binaries. */
export interface NodeHost {
  paths: LabPaths;
  driver: HostDriver;
  images: ImageService;
  pauseBinary: string;
  /** native/node-init: the init of each node container. */
  nodeInitBinary: string;
  scriptsDir: string;
  /** Node lease renewal (10 s by default; tests shorten it). */
  nodeRenewMs?: number;
  log(line: string): void;
}

/** What a node's agents need from the cluster process that starts them. */
export interface NodeAgentsContext extends NodeHost {
  /** The apiserver's client config for the node (its system:node:<name> token, the cluster CA). */
  nodeClient(node: NodeSpec): KubeClient;
  /**
   * The kubelet's serving certificate (what a kubelet gets through a CSR; here the cluster
   * process, which holds the CA, signs it).
   */
  kubeletServingCert(node: NodeSpec): Promise<{ cert: Buffer; key: Buffer; ca: Buffer }>;
  clock: Clock;
  topo: Topology;
  names: LabNames;
  dns: ClusterDnsConfig;
  state: LabState;
  /** Runs when the cluster process stops (not when the node's agents stop). */
  onStop(stop: () => void | Promise<void>): void;
  /** Records a topology pod's state in state.json. */
  saveStaticRecord(key: string, rec: PodRecord | undefined): Promise<void>;
  /** Whether `kubelet` is still the node's current one (a stopped node's is not). */
  isCurrent(kubelet: Kubelet): boolean;
}

/** The node's port 10250 as the apiserver dials it (through the node's namespace). */
export function nodePortOf(names: LabNames, n: NodeSpec): NodePort {
  return { name: n.name, netns: names.node(n.name), address: n.address };
}

/**
 * Starts `node`'s agents; its kubelet syncs pods only once the returned `startKubelet` runs (the
 * cluster process starts every node's agents first, then their pods).
 */
export async function startNodeAgents(
  c: NodeAgentsContext,
  node: NodeSpec,
): Promise<{ agents: NodeAgents; startKubelet: () => void }> {
  const { state } = c;
  const netns = c.names.node(node.name);
  const client = c.nodeClient(node);
  const log = (line: string) => c.log(line);
  // The node container first: its init, namespaces and cgroup parent; pods run inside it.
  const rt = nodeRuntime({
    driver: c.driver,
    paths: c.paths,
    prefix: state.prefix,
    node: node.name,
    netns,
    nodeCount: c.topo.nodes.length,
    nodeInitBinary: c.nodeInitBinary,
    pauseBinary: c.pauseBinary,
    scriptsDir: c.scriptsDir,
  });
  await rt.container.ensure();
  // When the daemon stops, its pods run on: their log FIFOs are let go, or this process could not exit.
  c.onStop(() => rt.cri.detachLogs());
  const agent = new NodeAgent(
    client,
    c.clock,
    {
      name: node.name,
      address: node.address,
      podCIDR: node.subnet,
      ...(c.nodeRenewMs ? { renewIntervalMs: c.nodeRenewMs } : {}),
      resources: () => rt.resources(),
      images: () => rt.imageList(c.images),
      health: () => rt.health(),
    },
    log,
  );
  const stops: Disposer[] = [await agent.start()];
  const flanneld = new Flanneld(
    client,
    c.clock,
    c.driver,
    {
      node: node.name,
      netns,
      publicIP: node.address,
      subnet: node.subnet,
      vni: c.topo.flannel.vni,
      vtepMAC: vtepMacFor(c.topo, node),
      mode: c.topo.flannel.mode,
      device: VXLAN_DEV,
    },
    log,
  );
  stops.push(await flanneld.start());
  const dns = c.dns;
  const kubelet = new Kubelet({
    client,
    clock: c.clock,
    driver: c.driver,
    cri: rt.cri,
    prefix: state.prefix,
    images: c.images,
    node: {
      name: node.name,
      address: node.address,
      netns,
      cniConf: c.paths.cniConf(node.name),
      dynamicCniConf: c.paths.cniDynamicConf(node.name),
    },
    lab: state.lab,
    podNetns: (ns, name) => c.names.pod(ns, name),
    podLogDir: (ns, name, uid) => join(c.paths.node(node.name), 'pods', podLogFolder(ns, name, uid)),
    podVolumeDir: (uid) => join(c.paths.node(node.name), 'runtime', 'volumes', uid),
    mountTmpfs: (dir, size) => rt.mountTmpfs(dir, size),
    unmount: (dir) => rt.unmount(dir),
    pvDir: join(c.paths.dir, 'pv'),
    nameserver: c.topo.internet.dns,
    resolvConf: (ns) => clusterDnsResolvConf(dns, ns),
    records: new KubeletRecords(c.paths.kubeletPods(node.name)),
    staticPods: node.pods.map((p) => ({
      pod: p.manifest as unknown as Pod,
      record: state.pods[podKey(p.namespace, p.name)],
    })),
    saveStaticRecord: (key, rec) => c.saveStaticRecord(key, rec),
    manifestDir: join(c.paths.node(node.name), 'manifests'),
    log,
  });
  let stopKubelet: Disposer | undefined;
  const startKubelet = (): void => {
    if (!stopKubelet && c.isCurrent(kubelet)) stopKubelet = kubelet.start();
  };
  stops.push(() => stopKubelet?.());
  const rn = nodePortOf(c.names, node);
  const serving: KubeletServing = await startKubeletServer({
    node: { name: node.name, address: node.address },
    tls: await c.kubeletServingCert(node),
    listen: () => kubeletListenFd(rn),
    api: client.rest,
    client,
    kubelet,
    podLogDir: (pod) =>
      join(
        c.paths.node(node.name),
        'pods',
        podLogFolder(
          pod.metadata.namespace ?? 'default',
          pod.metadata.name ?? '',
          pod.metadata.annotations?.[MIRROR_ANNOTATION] ?? pod.metadata.uid ?? '',
        ),
      ),
    alive: (pid, startTime) => processAlive(pid, startTime),
    cri: rt.cri,
    log,
  });
  stops.push(() => void serving.stop());
  const proxier = makeProxyBackend(c.topo.kubeProxy, {
    netns,
    restorer: new HostDriverIptablesRestorer(c.driver),
    nft: new HostDriverNftApplier(c.driver),
    // A pod whose DNS server went away must not keep talking to it through a stale UDP flow.
    conntrack: new HostDriverConntrackCleaner(c.driver),
    clock: { now: () => performance.now() },
    config: { nodeName: node.name, nodeIP: node.address, clusterCIDR: c.topo.podNetwork },
  });
  const proxy = new KubeProxyAgent(client, c.clock, proxier, { log: (l) => log(`${node.name}: ${l}`) });
  stops.push(proxy.start());
  const agents: NodeAgents = {
    node,
    netns,
    kubelet,
    flanneld,
    proxy,
    runtime: rt,
    stop: () => stops.reverse().forEach((s) => s()),
  };
  return { agents, startKubelet };
}

/** CRI's pod log folder name (/var/log/pods/<namespace>_<name>_<uid> on a real node). */
export function podLogFolder(namespace: string, name: string, uid: string): string {
  return `${namespace}_${name}_${uid}`;
}

/** Same pid and kernel start time (field 22 of /proc/<pid>/stat): the same process. */
function processAlive(pid: number, startTime: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]) === startTime;
  } catch {
    return false;
  }
}
