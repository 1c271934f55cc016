// Cluster DNS settings shared by the kubelet (pods' resolv.conf) and the DNS records writer: the
// server sits at the service network's tenth address (kube-dns' 10.96.0.10 convention).
import { clusterDnsAddress } from '../../../common/topology/cluster-dns.js';
import type { Topology } from '../../../common/topology/types.js';

export interface ClusterDnsConfig {
  serviceNetwork: string;
  /** The cluster domain, `cluster.local`. */
  domain: string;
  /** Where names outside the cluster go: the emulated Internet's resolver. */
  upstream: string;
}

/** A lab's cluster DNS: domain cluster.local, names outside it sent to the emulated Internet's resolver. */
export function clusterDnsConfig(topo: Pick<Topology, 'serviceNetwork' | 'internet'>): ClusterDnsConfig {
  return { serviceNetwork: topo.serviceNetwork, domain: 'cluster.local', upstream: topo.internet.dns };
}

export function clusterDnsIP(cfg: ClusterDnsConfig): string {
  return clusterDnsAddress(cfg.serviceNetwork);
}

/** A pod's resolv.conf, as kubelet writes it for dnsPolicy ClusterFirst. */
export function clusterDnsResolvConf(cfg: ClusterDnsConfig, namespace: string): string {
  const d = cfg.domain;
  return [
    '# kubewire: cluster DNS (kube-dns service)',
    `search ${namespace}.svc.${d} svc.${d} ${d}`,
    `nameserver ${clusterDnsIP(cfg)}`,
    'options ndots:5',
    '',
  ].join('\n');
}
