// The files the kubelet writes for every pod and bind-mounts into each container: a managed
// /etc/hosts (the pod's IP and hostname, hostAliases aside), /etc/resolv.conf (cluster DNS) and
// /etc/hostname.
import type { Pod } from '../../../common/api-types.js';

export function podEtc(
  pod: Pod,
  hostname: string,
  ip: string | undefined,
  resolvConf: string,
): { hosts: string; resolvConf: string; hostname: string } {
  const fqdn = pod.spec.subdomain
    ? `${hostname}.${pod.spec.subdomain}.${pod.metadata.namespace ?? 'default'}.svc.cluster.local\t${hostname}`
    : hostname;
  const hosts = [
    '# Kubernetes-managed hosts file.',
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'fe00::0\tip6-mcastprefix',
    'fe00::1\tip6-allnodes',
    'fe00::2\tip6-allrouters',
    ...(ip ? [`${ip}\t${fqdn}`] : []),
    '',
  ].join('\n');
  return { hosts, resolvConf, hostname: `${hostname}\n` };
}
