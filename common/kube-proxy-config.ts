// The ConfigMap kube-system/kube-proxy (a KubeProxyConfiguration in config.conf, as kubeadm
// publishes it) read back: the cluster daemon writes it (cluster/agents/proxy/kube-proxy-configmap.ts),
// the UI server reads the pod network and rule format from it.

export const KUBE_PROXY_CONFIGMAP = { namespace: 'kube-system', name: 'kube-proxy' };
/** kubewire's addition: `current` or `article` (the KubeProxyConfiguration has no such field). */
export const RULES_ANNOTATION = 'kubewire.io/iptables-rules';

/** Reads clusterCIDR, mode and rules back from the ConfigMap's data (what the UI server needs). */
export function parseKubeProxyConfig(cm: {
  data?: Record<string, string>;
  metadata?: { annotations?: Record<string, string> };
}): { clusterCIDR?: string; mode?: string; rules?: string } {
  const text = cm.data?.['config.conf'] ?? '';
  const field = (k: string) => new RegExp(`^${k}:\\s*(\\S+)\\s*$`, 'm').exec(text)?.[1];
  const out: { clusterCIDR?: string; mode?: string; rules?: string } = {};
  const cidr = field('clusterCIDR');
  const mode = field('mode');
  const rules = cm.metadata?.annotations?.[RULES_ANNOTATION];
  if (cidr) out.clusterCIDR = cidr;
  if (mode) out.mode = mode;
  if (rules) out.rules = rules;
  return out;
}
