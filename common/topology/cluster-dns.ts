// Where a lab's cluster DNS answers: the kube-dns Service at the service network's tenth address
// (kube-dns' 10.96.0.10 convention). Shared by the cluster's add-ons, the kubelet's resolv.conf
// and the lab start, which waits until kube-proxy sends that address to a ready CoreDNS pod.
import { cidrNth, formatIpv4, parseCidr } from '../net/ipv4.js';

export function clusterDnsAddress(serviceNetwork: string): string {
  return formatIpv4(cidrNth(parseCidr(serviceNetwork), 10));
}
