// Picks the node's kube-proxy backend from the topology's `kubeProxy` section: today's iptables
// proxier (rules: current), the article's kube-proxy 1.16 (rules: article), or nftables mode.
import type { KubeProxySpec } from '../../common/topology/types.js';
import type { ConntrackCleaner } from './conntrack-cleanup.js';
import type { IptablesRestorer } from './iptables-restorer.js';
import { ArticleProxier } from './legacy/article-proxier.js';
import type { NftApplier } from './nftables/nft-applier.js';
import { NftProxier } from './nftables/nft-proxier.js';
import { Proxier, type Clock } from './proxier.js';
import type { ProxyBackend } from './proxy-backend.js';
import type { ProxyNodeConfig } from './proxy-types.js';

export interface ProxyBackendDeps {
  netns: string;
  restorer: IptablesRestorer;
  nft: NftApplier;
  conntrack?: ConntrackCleaner;
  clock: Clock;
  config: ProxyNodeConfig;
}

export function makeProxyBackend(spec: KubeProxySpec | undefined, d: ProxyBackendDeps): ProxyBackend {
  const common = {
    netns: d.netns,
    clock: d.clock,
    config: d.config,
    ...(d.conntrack ? { conntrack: d.conntrack } : {}),
  };
  if (spec?.mode === 'nftables') return new NftProxier({ ...common, nft: d.nft });
  if (spec?.rules === 'article') return new ArticleProxier({ ...common, restorer: d.restorer });
  return new Proxier({ ...common, restorer: d.restorer });
}
