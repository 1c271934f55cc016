// Files of a lab under its state folder (/var/lib/kubewire/<lab>, or $KUBEWIRE_STATE_DIR/<lab>).
import { join } from 'node:path';

export const DEFAULT_STATE_BASE = '/var/lib/kubewire';

export class LabPaths {
  constructor(
    /** The folder holding every lab's folder and the host snapshot doctor compares against. */
    readonly base: string,
    readonly lab: string,
  ) {}

  get dir(): string {
    return join(this.base, this.lab);
  }
  get state(): string {
    return join(this.dir, 'state.json');
  }
  /** Taken before the first `up` on this machine; kept by `reset` so `doctor` can compare after it. */
  get hostSnapshot(): string {
    return join(this.base, 'host-snapshot.json');
  }
  get logs(): string {
    return join(this.dir, 'logs');
  }
  node(node: string): string {
    return join(this.dir, 'nodes', node);
  }
  /** The kubelet's records of the pods it runs (a restarted kubelet adopts them). */
  kubeletPods(node: string): string {
    return join(this.node(node), 'kubelet', 'pods.json');
  }
  cniConf(node: string): string {
    return join(this.node(node), 'cni', 'net.d', '10-flannel.conf');
  }
  /**
   * The same network for pods without an address of their own, with the pinned addresses left out
   * of host-local's ranges (flannel-config.ts cniDynamicConfig); outside net.d, which holds one config.
   */
  cniDynamicConf(node: string): string {
    return join(this.node(node), 'cni', 'dynamic-ipam.conf');
  }
  /** host-local's dataDir: `<it>/cbr0/<ip>` holds the container id, as in the article. */
  cniDataDir(node: string): string {
    return join(this.node(node), 'cni', 'networks');
  }
  subnetEnv(node: string): string {
    return join(this.node(node), 'run', 'flannel', 'subnet.env');
  }
  /** An etcd member's --data-dir (0700; the folder above it too). */
  etcdData(member: string): string {
    return join(this.dir, 'etcd', member);
  }
  podLogs(netns: string): string {
    return join(this.logs, netns);
  }
}
