// The ConfigMap kube-system/kube-proxy, as kubeadm publishes it: a KubeProxyConfiguration
// (config.conf) that every node's kube-proxy runs with — here the lab's pod network (clusterCIDR)
// and mode, plus which iptables rule format this lab's kube-proxy writes. Learners read it with
// `kubectl -n kube-system get cm kube-proxy -o yaml`; the UI reads it to render other formats.
import type { KubeObject } from '../../../common/api-types.js';
import type { KubeProxySpec } from '../../../common/topology/types.js';
import { isAlreadyExists } from '../../client/api-errors.js';
import type { KubeClient } from '../../client/kube-client.js';
import { Resources } from '../../client/resources.js';
import { KUBE_PROXY_CONFIGMAP, RULES_ANNOTATION } from '../../../common/kube-proxy-config.js';

export function kubeProxyConfigMap(clusterCIDR: string, spec: KubeProxySpec): KubeObject {
  const conf = [
    'apiVersion: kubeproxy.config.k8s.io/v1alpha1',
    'kind: KubeProxyConfiguration',
    `clusterCIDR: ${clusterCIDR}`,
    `mode: ${spec.mode}`,
    'iptables:',
    '  masqueradeBit: 14',
    '  minSyncPeriod: 1s',
    '',
  ].join('\n');
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      ...KUBE_PROXY_CONFIGMAP,
      labels: { app: 'kube-proxy' },
      annotations: { [RULES_ANNOTATION]: spec.rules },
    },
    data: { 'config.conf': conf },
  } as unknown as KubeObject;
}

/** Creates it unless it exists. */
export async function publishKubeProxyConfig(
  client: KubeClient,
  clusterCIDR: string,
  spec: KubeProxySpec,
): Promise<void> {
  try {
    await client
      .resource(Resources.configmaps)
      .create(kubeProxyConfigMap(clusterCIDR, spec), KUBE_PROXY_CONFIGMAP.namespace);
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
  }
}
