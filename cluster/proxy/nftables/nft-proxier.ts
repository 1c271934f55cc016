// kube-proxy's nftables Proxier for one node: every sync lists table ip kube-proxy, renders the
// whole transaction (render-nft.ts) and runs it with one `nft -f`. Stale service chains are flushed
// and deleted by the next sync at least a second later, as kube-proxy does.
import { KubewireError } from '../../../common/errors.js';
import { staleUdpFlows, type ConntrackCleaner } from '../conntrack-cleanup.js';
import { normalizeNodeConfig } from '../node-config.js';
import { fullSyncReport, type ProxyBackend } from '../proxy-backend.js';
import { ProxyState } from '../proxy-state.js';
import type { EndpointSliceObject, ProxyNodeConfig, ServiceObject } from '../proxy-types.js';
import type { Clock, SyncReport } from '../proxier.js';
import type { NormalizedNodeConfig } from '../render-ruleset.js';
import type { ServicePortFlows } from '../render-service.js';
import { servicePortsOf } from '../service-port-info.js';
import { parseNftListing, type NftApplier } from './nft-applier.js';
import { renderNft, type NftService } from './render-nft.js';

export class NftProxierSyncError extends KubewireError {}

export interface NftProxierOptions {
  netns: string;
  nft: NftApplier;
  config: ProxyNodeConfig;
  clock: Clock;
  conntrack?: ConntrackCleaner;
}

export function nftServices(state: ProxyState, services: ReadonlyMap<string, ServiceObject>): NftService[] {
  const out: NftService[] = [];
  for (const key of state.serviceKeys()) {
    const svc = services.get(key);
    if (!svc) continue;
    const eps = state.endpointsOf(key);
    for (const port of servicePortsOf(svc)) out.push({ port, endpoints: eps.get(port.portKey) ?? [] });
  }
  return out;
}

export class NftProxier implements ProxyBackend {
  private readonly config: NormalizedNodeConfig;
  private readonly state: ProxyState;
  private readonly services = new Map<string, ServiceObject>();
  /** Stale chain → when it was flushed (clock ms). */
  private readonly stale = new Map<string, number>();
  private dirty = true;
  private lastText = '';
  private lastFlows = new Map<string, ServicePortFlows>();
  private running: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: NftProxierOptions) {
    this.config = normalizeNodeConfig(opts.config);
    this.state = new ProxyState(this.config.nodeName);
  }

  onServiceUpsert(svc: ServiceObject): void {
    if (this.state.upsertService(svc)) {
      this.services.set(`${svc.metadata.namespace ?? 'default'}/${svc.metadata.name}`, svc);
      this.dirty = true;
    }
  }

  onServiceDelete(svc: Pick<ServiceObject, 'metadata'>): void {
    const ns = svc.metadata.namespace ?? 'default';
    if (svc.metadata.name && this.state.deleteService(ns, svc.metadata.name)) {
      this.services.delete(`${ns}/${svc.metadata.name}`);
      this.dirty = true;
    }
  }

  onEndpointSliceUpsert(slice: EndpointSliceObject): void {
    if (this.state.upsertEndpointSlice(slice)) this.dirty = true;
  }

  onEndpointSliceDelete(slice: EndpointSliceObject): void {
    if (this.state.deleteEndpointSlice(slice)) this.dirty = true;
  }

  forceFullSync(): void {
    this.dirty = true;
  }

  pending(): boolean {
    // Stale chains wait for a later sync to be deleted.
    return this.dirty || this.stale.size > 0;
  }

  lastRestoreText(): string {
    return this.lastText;
  }

  sync(): Promise<SyncReport> {
    const next = this.running.then(() => this.syncOnce());
    this.running = next.catch(() => undefined);
    return next;
  }

  private async syncOnce(): Promise<SyncReport> {
    const { clock, netns, nft } = this.opts;
    this.dirty = false;
    try {
      const t0 = clock.now();
      const listing = parseNftListing(await nft.list(netns));
      const t1 = clock.now();
      const existing = new Set(listing.chains);
      const deleteChains = [...this.stale].filter(([ch, at]) => t0 - at >= 1000 && existing.has(ch)).map(([ch]) => ch);
      const services = nftServices(this.state, this.services);
      const out = renderNft({
        config: this.config,
        services,
        existingChains: listing.chains,
        existingSets: listing.sets,
        deleteChains,
      });
      const t2 = clock.now();
      await nft.apply(netns, out.text);
      const t3 = clock.now();
      for (const ch of deleteChains) this.stale.delete(ch);
      for (const ch of [...this.stale.keys()]) if (out.activeChains.has(ch) || !existing.has(ch)) this.stale.delete(ch);
      for (const ch of out.staleChains) if (!this.stale.has(ch)) this.stale.set(ch, t3);
      this.lastText = out.text;
      const flows = new Map<string, ServicePortFlows>();
      for (const s of services) {
        const p = s.port;
        flows.set(p.portKey, {
          portKey: p.portKey,
          protocol: p.protocol,
          serviceIPs: [p.clusterIP, ...p.externalIPs, ...p.loadBalancerVIPs],
          nodePort: p.nodePort,
          endpointIPs: s.endpoints.filter((e) => e.ready).map((e) => e.ip),
        });
      }
      const filters = staleUdpFlows(this.lastFlows, flows);
      this.lastFlows = flows;
      let conntrackError: string | undefined;
      if (filters.length && this.opts.conntrack) {
        await this.opts.conntrack.deleteFlows(netns, filters).catch((err: unknown) => {
          conntrackError = err instanceof Error ? err.message : String(err);
        });
      }
      return fullSyncReport({
        services: this.services.size,
        endpoints: services.reduce((n, s) => n + s.endpoints.length, 0),
        chains: out.activeChains.size,
        stale: deleteChains.length,
        saveMs: t1 - t0,
        renderMs: t2 - t1,
        restoreMs: t3 - t2,
        bytes: out.text.length,
        udpFlowFilters: this.opts.conntrack ? filters.length : 0,
        ...(conntrackError ? { conntrackError } : {}),
      });
    } catch (err) {
      this.dirty = true;
      throw new NftProxierSyncError(
        `kube-proxy (nftables) sync of ${netns} failed: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    }
  }
}
