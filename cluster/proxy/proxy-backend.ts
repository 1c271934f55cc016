// What kube-proxy's agent drives, whichever backend writes the node's rules: today's iptables
// proxier (proxier.ts), the article's kube-proxy 1.16 (legacy/article-proxier.ts) or the nftables
// proxier (nftables/nft-proxier.ts). The agent feeds Services and EndpointSlices and calls sync().
import type { SyncReport } from './proxier.js';
import type { EndpointSliceObject, ServiceObject } from './proxy-types.js';

export interface ProxyBackend {
  onServiceUpsert(svc: ServiceObject): void;
  onServiceDelete(svc: Pick<ServiceObject, 'metadata'>): void;
  onEndpointSliceUpsert(slice: EndpointSliceObject): void;
  onEndpointSliceDelete(slice: EndpointSliceObject): void;
  /** The next sync rereads the node's state and writes everything. */
  forceFullSync(): void;
  pending(): boolean;
  sync(): Promise<SyncReport>;
  /** The text of the last successful restore (iptables-restore or nft -f input). */
  lastRestoreText(): string;
}

/** A SyncReport for backends that always write everything. */
export function fullSyncReport(r: {
  services: number;
  endpoints: number;
  chains: number;
  stale: number;
  saveMs: number;
  renderMs: number;
  restoreMs: number;
  bytes: number;
  udpFlowFilters: number;
  conntrackError?: string;
}): SyncReport {
  return {
    full: true,
    services: r.services,
    endpoints: r.endpoints,
    servicesWritten: r.services,
    natChainsWritten: r.chains,
    sharedChainsWritten: [],
    staleChainsDeleted: r.stale,
    largeClusterMode: false,
    saveMs: r.saveMs,
    renderMs: r.renderMs,
    restoreMs: r.restoreMs,
    bytes: r.bytes,
    udpFlowFilters: r.udpFlowFilters,
    ...(r.conntrackError ? { conntrackError: r.conntrackError } : {}),
  };
}
