// `iptables.render`: the cluster's Services and EndpointSlices (from the lab's apiserver) rendered
// as one kube-proxy format would write them on a node — so the iptables view can show the
// article's kube-proxy 1.16 rules and today's (or nftables) side by side for the same Services.
// Nothing is applied; the node's own rules are what `iptables.get` shows.
import type { EndpointSlice, Node } from '../../common/api-types.js';
import { KubewireError } from '../../common/errors.js';
import type { RenderedRules, RuleFormatName } from '../../common/iptables-contract.js';
import { KUBE_PROXY_CONFIGMAP, parseKubeProxyConfig } from '../../common/kube-proxy-config.js';
import type { KubeClient } from '../../cluster/client/kube-client.js';
import { Resources } from '../../cluster/client/resources.js';
import { renderRulesetAs } from '../../cluster/proxy/render-formats.js';

export class RuleFormatsUnavailable extends KubewireError {}

export interface RuleFormatSource {
  render(node: string, format: RuleFormatName): Promise<RenderedRules>;
}

export class ApiRuleFormats implements RuleFormatSource {
  constructor(private readonly client: KubeClient) {}

  async render(node: string, format: RuleFormatName): Promise<RenderedRules> {
    const [cm, services, slices, nodeObj] = await Promise.all([
      this.client
        .resource(Resources.configmaps)
        .get(KUBE_PROXY_CONFIGMAP.name, KUBE_PROXY_CONFIGMAP.namespace)
        .catch(() => undefined),
      this.client.services.list(),
      this.client.endpointSlices.list(),
      this.client.nodes.get(node).catch(() => undefined) as Promise<Node | undefined>,
    ]);
    const cfg = cm ? parseKubeProxyConfig(cm as never) : {};
    const nodeIP = nodeObj?.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
    const text = renderRulesetAs(format, {
      services: services.items as unknown as Parameters<typeof renderRulesetAs>[1]['services'],
      endpointSlices: (slices.items as EndpointSlice[]).filter(
        (s) => s.addressType === 'IPv4',
      ) as unknown as Parameters<typeof renderRulesetAs>[1]['endpointSlices'],
      config: {
        nodeName: node,
        ...(nodeIP ? { nodeIP } : {}),
        ...(cfg.clusterCIDR ? { clusterCIDR: cfg.clusterCIDR } : {}),
      },
      withJumps: true,
    });
    return { format, node, text };
  }
}

export class NoRuleFormats implements RuleFormatSource {
  constructor(private readonly reason: string) {}
  render(): Promise<RenderedRules> {
    return Promise.reject(new RuleFormatsUnavailable(this.reason));
  }
}
