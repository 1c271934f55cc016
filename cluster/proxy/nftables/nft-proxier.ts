// kube-proxy's nftables Proxier for one node. The first sync (and one an hour, or after a failure)
// is full: it lists the chains and sets of table ip kube-proxy and rewrites the table. Later syncs
// are partial, as kube-proxy's since 1.31: only the changed services' chains and the map elements
// that differ are written, in one `nft -f` transaction (nft-transaction.ts). Which chains and sets
// exist is remembered from the last transaction instead of listed again: a partial sync is one
// process, and its cost follows the change, not the cluster's size. If the table was changed behind our back, the transaction fails (a flushed chain is
// missing) and the next sync is full.
import { KubewireError } from '../../../common/errors.js';
import { staleUdpFlows, type ConntrackCleaner } from '../conntrack-cleanup.js';
import { normalizeNodeConfig } from '../node-config.js';
import type { ProxyBackend } from '../proxy-backend.js';
import { ProxyState } from '../proxy-state.js';
import type { EndpointSliceObject, ProxyNodeConfig, ServiceObject } from '../proxy-types.js';
import type { Clock, SyncReport } from '../proxier.js';
import type { NormalizedNodeConfig } from '../render-ruleset.js';
import type { ServicePortFlows } from '../render-service.js';
import { servicePortsOf } from '../service-port-info.js';
import { type NftApplier } from './nft-applier.js';
import { assembleNftTransaction } from './nft-transaction.js';
import { renderNftServicePort, type NftElement, type NftService, type NftServicePortRender } from './render-nft.js';

export class NftProxierSyncError extends KubewireError {}

export interface NftProxierOptions {
  netns: string;
  nft: NftApplier;
  config: ProxyNodeConfig;
  clock: Clock;
  conntrack?: ConntrackCleaner;
  /** kube-proxy forces a full sync this often (proxyutil.FullSyncPeriod: one hour). */
  fullSyncPeriodMs?: number;
}

const HOUR = 3_600_000;
/** kube-proxy deletes a flushed chain no sooner than this after flushing it. */
const STALE_CHAIN_DELAY_MS = 1000;

function servicePorts(state: ProxyState, svc: ServiceObject | undefined, key: string): NftService[] {
  if (!svc) return [];
  const eps = state.endpointsOf(key);
  return servicePortsOf(svc).map((port) => ({ port, endpoints: eps.get(port.portKey) ?? [] }));
}

export function nftServices(state: ProxyState, services: ReadonlyMap<string, ServiceObject>): NftService[] {
  return state.serviceKeys().flatMap((key) => servicePorts(state, services.get(key), key));
}

interface CachedService {
  ports: NftService[];
  rendered: NftServicePortRender[];
}

function portFlows({ port: p, endpoints }: NftService): ServicePortFlows {
  return {
    portKey: p.portKey,
    protocol: p.protocol,
    serviceIPs: [p.clusterIP, ...p.externalIPs, ...p.loadBalancerVIPs],
    nodePort: p.nodePort,
    endpointIPs: endpoints.filter((e) => e.ready).map((e) => e.ip),
  };
}

export class NftProxier implements ProxyBackend {
  private readonly config: NormalizedNodeConfig;
  private readonly state: ProxyState;
  private readonly services = new Map<string, ServiceObject>();
  private readonly cache = new Map<string, CachedService>();
  private dirty = new Set<string>();
  private needFullSync = true;
  private lastFullSync = -Infinity;
  /** Stale chain → when it was flushed (clock ms). */
  private readonly stale = new Map<string, number>();
  /** The maps' elements after the last transaction. */
  private elements = new Map<string, NftElement>();
  private lastText = '';
  /** Per service: its ports' addresses and endpoints as last written, for UDP conntrack cleanup. */
  private readonly flowsOf = new Map<string, ServicePortFlows[]>();
  private running: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: NftProxierOptions) {
    this.config = normalizeNodeConfig(opts.config);
    this.state = new ProxyState(this.config.nodeName);
  }

  onServiceUpsert(svc: ServiceObject): void {
    const key = this.state.upsertService(svc);
    if (!key) return;
    this.services.set(key, svc);
    this.dirty.add(key);
  }

  onServiceDelete(svc: Pick<ServiceObject, 'metadata'>): void {
    const ns = svc.metadata.namespace ?? 'default';
    const key = svc.metadata.name ? this.state.deleteService(ns, svc.metadata.name) : undefined;
    if (!key) return;
    this.services.delete(key);
    this.dirty.add(key);
  }

  onEndpointSliceUpsert(slice: EndpointSliceObject): void {
    const key = this.state.upsertEndpointSlice(slice);
    if (key) this.dirty.add(key);
  }

  onEndpointSliceDelete(slice: EndpointSliceObject): void {
    const key = this.state.deleteEndpointSlice(slice);
    if (key) this.dirty.add(key);
  }

  forceFullSync(): void {
    this.needFullSync = true;
  }

  pending(): boolean {
    // Stale chains wait for a later sync to be deleted.
    return this.needFullSync || this.dirty.size > 0 || this.stale.size > 0;
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
    const { clock, netns } = this.opts;
    const full = this.needFullSync || clock.now() - this.lastFullSync > (this.opts.fullSyncPeriodMs ?? HOUR);
    const changed = this.dirty;
    this.dirty = new Set();
    try {
      return await this.write(full, changed);
    } catch (err) {
      // The cache may no longer match the kernel (or the table was changed by someone else):
      // start over with a full sync that lists what is there.
      for (const k of changed) this.dirty.add(k);
      this.needFullSync = true;
      throw new NftProxierSyncError(
        `kube-proxy (nftables) sync of ${netns} failed: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    }
  }

  private async write(full: boolean, changed: Set<string>): Promise<SyncReport> {
    const { clock, netns, nft } = this.opts;
    const t0 = clock.now();
    let listing: { chains: string[]; sets: string[] } | undefined;
    if (full) {
      listing = await nft.listNames(netns);
      // Only what is really there can be deleted; anything else stale is found again below.
      const there = new Set(listing.chains);
      for (const ch of [...this.stale.keys()]) if (!there.has(ch)) this.stale.delete(ch);
    }
    const t1 = clock.now();
    const deleteChains = [...this.stale].filter(([, at]) => t1 - at >= STALE_CHAIN_DELAY_MS).map(([ch]) => ch);
    // Full: every service. Partial: the changed ones, with what was written for them last time.
    const previous = new Map<string, CachedService | undefined>();
    for (const k of changed) {
      previous.set(k, this.cache.get(k));
      this.cache.delete(k);
    }
    const keys = full ? this.state.serviceKeys() : [...changed].sort();
    const services = keys.map((key) => {
      const now = this.rendered(key);
      const before = previous.get(key)?.rendered;
      return { key, ports: now.rendered, ...(before && !full ? { previous: before } : {}) };
    });
    const tx = assembleNftTransaction({
      config: this.config,
      full,
      services,
      previousElements: this.elements,
      ...(listing ? { existingChains: listing.chains, existingSets: listing.sets } : {}),
      deleteChains,
    });
    const t2 = clock.now();
    if (tx.text) await nft.apply(netns, tx.text);
    const t3 = clock.now();

    for (const ch of tx.deleted) this.stale.delete(ch);
    for (const ch of tx.activeChains) this.stale.delete(ch);
    for (const ch of tx.staleChains) if (!this.stale.has(ch)) this.stale.set(ch, t3);
    this.elements = tx.elements;
    if (tx.text) this.lastText = tx.text;
    if (full) {
      this.needFullSync = false;
      this.lastFullSync = t3;
    }
    // Services no longer known leave the cache (it was kept for this diff only).
    for (const k of changed) if (!this.state.hasService(k)) this.cache.delete(k);

    // UDP flows made stale: only the changed services' ports can have changed.
    const before = new Map<string, ServicePortFlows>();
    const after = new Map<string, ServicePortFlows>();
    for (const k of full ? new Set([...this.cache.keys(), ...changed]) : changed) {
      for (const f of this.flowsOf.get(k) ?? []) before.set(f.portKey, f);
      const flows = (this.cache.get(k)?.ports ?? []).map(portFlows);
      for (const f of flows) after.set(f.portKey, f);
      if (flows.length) this.flowsOf.set(k, flows);
      else this.flowsOf.delete(k);
    }
    const filters = staleUdpFlows(before, after);
    let conntrackError: string | undefined;
    if (filters.length && this.opts.conntrack) {
      // The rules are in place; a cleanup failure is reported, not retried as a failed sync.
      await this.opts.conntrack.deleteFlows(netns, filters).catch((err: unknown) => {
        conntrackError = err instanceof Error ? err.message : String(err);
      });
    }
    const mapsTouched = tx.elementsAdded + tx.elementsDeleted;
    let endpoints = 0;
    for (const c of this.cache.values()) for (const p of c.ports) endpoints += p.endpoints.length;
    return {
      full,
      services: this.services.size,
      endpoints,
      servicesWritten: tx.servicesWritten,
      natChainsWritten: tx.chainsWritten,
      sharedChainsWritten: mapsTouched
        ? [`maps: ${tx.elementsAdded} elements added, ${tx.elementsDeleted} deleted`]
        : [],
      staleChainsDeleted: tx.deleted.length,
      largeClusterMode: false,
      saveMs: t1 - t0,
      renderMs: t2 - t1,
      restoreMs: t3 - t2,
      bytes: tx.text.length,
      udpFlowFilters: this.opts.conntrack ? filters.length : 0,
      ...(conntrackError ? { conntrackError } : {}),
    };
  }

  /** A service's ports and their rendering, kept until the service or its endpoints change. */
  private rendered(key: string): CachedService {
    let c = this.cache.get(key);
    if (!c) {
      const ports = servicePorts(this.state, this.services.get(key), key);
      c = { ports, rendered: ports.map((p) => renderNftServicePort(this.config, p.port, p.endpoints)) };
      this.cache.set(key, c);
    }
    return c;
  }
}
