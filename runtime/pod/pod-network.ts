// A pod's network, the way a container runtime's CNI step does it: a network namespace (named
// <prefix><k8s namespace>_<pod>, with /etc/netns files for `ip netns exec`) wired by the real CNI
// plugins on its node. The sandbox's pause container then joins it (runtime/cri). Idempotent:
// a namespace already wired with the wanted address is left as is.
import type { HostDriver } from '../host/host-driver.js';
import type { PodRecord } from '../lab/lab-state.js';
import { writeNetnsEtc } from '../lab/netns-etc.js';

export interface PodNetworkConfig {
  namespace: string;
  name: string;
  node: string;
  nodeNetns: string;
  netns: string;
  /** CNI config file of the node (network cbr0). */
  cniConf: string;
  /** The same network for a pod without `ip`: the node's pinned addresses left out of its ranges. */
  dynamicCniConf?: string;
  /** 64 hex, like containerd's sandbox ids; host-local records it next to the IP. */
  containerId: string;
  ip?: string;
  mac?: string;
  nameserver: string;
}

interface CniResult {
  interfaces?: { name: string; mac?: string; sandbox?: string }[];
  ips?: { address: string; interface?: number }[];
}

export class PodNetwork {
  constructor(
    private readonly driver: HostDriver,
    private readonly prefix: string,
  ) {}

  /** Namespace + /etc/netns files + CNI ADD (unless already wired with the wanted address). */
  async setUp(cfg: PodNetworkConfig, previous?: PodRecord): Promise<PodRecord> {
    const rec: PodRecord = previous ?? {
      namespace: cfg.namespace,
      name: cfg.name,
      node: cfg.node,
      netns: cfg.netns,
      containerId: cfg.containerId,
      containers: {},
    };
    const up = await this.driver.script('netns-up.sh', [this.prefix, cfg.netns]);
    const fresh = (up.json.created as string[]).length > 0;
    const ip = cfg.ip ?? rec.ip;
    await writeNetnsEtc(this.driver, cfg.netns, cfg.name, cfg.nameserver, ip);
    if (fresh || !(await this.wired(cfg, ip))) await this.addNetwork(cfg, rec, ip);
    return rec;
  }

  /** CNI DEL (releasing the address) and the namespace removed. */
  async tearDown(pod: PodRecord, cniConf: string, nodeNetns: string, opts: { releaseIp: boolean }): Promise<void> {
    if (opts.releaseIp)
      await this.driver.script('cni.sh', ['DEL', nodeNetns, pod.netns, pod.containerId, 'eth0', 'bridge', cniConf]);
    await this.driver.script('netns-down.sh', [pod.netns]);
  }

  private async wired(cfg: PodNetworkConfig, ip: string | undefined): Promise<boolean> {
    const r = await this.driver.exec(cfg.netns, ['ip', '-j', '-4', 'addr', 'show', 'dev', 'eth0']);
    if (r.exitCode !== 0) return false;
    const addrs = (JSON.parse(r.stdout || '[]') as { addr_info?: { local: string }[] }[]).flatMap(
      (l) => l.addr_info ?? [],
    );
    return addrs.length > 0 && (!ip || addrs.some((a) => a.local === ip));
  }

  private async addNetwork(cfg: PodNetworkConfig, rec: PodRecord, ip: string | undefined): Promise<void> {
    const cniArgs = ['IgnoreUnknown=1', ...(ip ? [`IP=${ip}`] : []), ...(cfg.mac ? [`MAC=${cfg.mac}`] : [])].join(';');
    const r = await this.driver.script('cni.sh', [
      'ADD',
      cfg.nodeNetns,
      cfg.netns,
      cfg.containerId,
      'eth0',
      'bridge',
      ip ? cfg.cniConf : (cfg.dynamicCniConf ?? cfg.cniConf),
      cniArgs,
    ]);
    const result = r.json as CniResult;
    const ifaces = result.interfaces ?? [];
    const podIf = ifaces.find((i) => i.sandbox && i.name === 'eth0');
    const hostIf = ifaces.find((i) => !i.sandbox && i.name !== 'cni0');
    const addr = result.ips?.[0]?.address;
    if (addr) rec.ip = addr.split('/')[0];
    if (podIf?.mac) rec.mac = podIf.mac;
    if (hostIf) rec.hostVeth = hostIf.name;
  }
}
