// kube-proxy's iptables Proxier for one node: keeps the Services and EndpointSlices it was told
// about, and on sync() writes the ruleset with ONE iptables-restore in the node's namespace. The
// first sync (and one an hour, or after a failure) is full: it reads iptables-save to find stale
// chains and missing jump rules. Later syncs are partial: only changed services' chains are sent.
import { KubewireError } from '../../common/errors.js';
import { isServiceChainName } from './chain-names.js';
import { staleUdpFlows, type ConntrackCleaner } from './conntrack-cleanup.js';
import type { IptablesRestorer } from './iptables-restorer.js';
import { parseIptablesSave, savedRuleSets } from '../../common/iptables-save.js';
import { CANARY_CHAIN, JUMP_RULES, type JumpRule } from './jump-rules.js';
import { normalizeNodeConfig } from './node-config.js';
import { ProbabilityCache } from './probability.js';
import { ProxyState } from './proxy-state.js';
import type { EndpointSliceObject, ProxyNodeConfig, ServiceObject } from './proxy-types.js';
import type { NowClock } from '../../common/clock.js';
import { assembleRuleset, type NormalizedNodeConfig } from './render-ruleset.js';
import type { RenderContext, RenderedServicePort, ServicePortFlows } from './render-service.js';

/** Times a sync (common/clock.ts's clock, read side). */
export type Clock = NowClock;

export interface ProxierOptions {
  /** The node's network namespace. */
  netns: string;
  restorer: IptablesRestorer;
  config: ProxyNodeConfig;
  clock: Clock;
  /** Clears UDP conntrack entries made stale by a sync; without it they are left to time out. */
  conntrack?: ConntrackCleaner;
  /** kube-proxy forces a full sync this often (proxyutil.FullSyncPeriod: one hour). */
  fullSyncPeriodMs?: number;
}

export interface SyncReport {
  full: boolean;
  services: number;
  endpoints: number;
  /** Services whose own chains were written. */
  servicesWritten: number;
  natChainsWritten: number;
  /** Shared chains (KUBE-SERVICES, KUBE-NODEPORTS, filter chains…) rewritten this time. */
  sharedChainsWritten: string[];
  staleChainsDeleted: number;
  largeClusterMode: boolean;
  /** Time to read iptables-save (full syncs), to render, and to restore, in ms. */
  saveMs: number;
  renderMs: number;
  restoreMs: number;
  bytes: number;
  /** `conntrack -D` filters run after the restore (stale UDP flows). */
  udpFlowFilters: number;
  /** A conntrack cleanup that failed (the rules were written all the same). */
  conntrackError?: string;
}

/** kube-proxy stops writing per-endpoint comments above this many endpoints. */
export const LARGE_CLUSTER_ENDPOINTS = 1000;
const HOUR = 3_600_000;

export class ProxierSyncError extends KubewireError {}

interface CachedService {
  rendered: RenderedServicePort[];
  endpoints: number;
}

export class Proxier {
  private readonly config: NormalizedNodeConfig;
  private readonly state: ProxyState;
  private readonly probabilities = new ProbabilityCache();
  private readonly cache = new Map<string, CachedService>();
  private dirty = new Set<string>();
  private needFullSync = true;
  private lastFullSync = -Infinity;
  private largeClusterMode = false;
  /** Service chains present in the node after the last successful restore. */
  private writtenChains = new Set<string>();
  private lastText = '';
  /** Shared chains' rules as last written, to skip the unchanged ones on partial syncs. */
  private lastShared: Map<string, string> | undefined;
  /** Per service port: addresses and endpoints as last written, for UDP conntrack cleanup. */
  private lastFlows = new Map<string, ServicePortFlows>();
  private running: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: ProxierOptions) {
    this.config = normalizeNodeConfig(opts.config);
    this.state = new ProxyState(this.config.nodeName);
  }

  onServiceUpsert(svc: ServiceObject): void {
    this.mark(this.state.upsertService(svc));
  }

  onServiceDelete(svc: Pick<ServiceObject, 'metadata'>): void {
    if (svc.metadata.name) this.mark(this.state.deleteService(svc.metadata.namespace ?? 'default', svc.metadata.name));
  }

  onEndpointSliceUpsert(slice: EndpointSliceObject): void {
    this.mark(this.state.upsertEndpointSlice(slice));
  }

  onEndpointSliceDelete(slice: EndpointSliceObject): void {
    this.mark(this.state.deleteEndpointSlice(slice));
  }

  /** Makes the next sync a full one (kube-proxy does so when its canary chain disappears). */
  forceFullSync(): void {
    this.needFullSync = true;
  }

  /** Whether anything waits to be written. */
  pending(): boolean {
    return this.needFullSync || this.dirty.size > 0;
  }

  /** The text of the last successful iptables-restore. */
  lastRestoreText(): string {
    return this.lastText;
  }

  /** Writes the rules; calls are serialized, so two syncs never interleave in one namespace. */
  sync(): Promise<SyncReport> {
    const next = this.running.then(() => this.syncOnce());
    this.running = next.catch(() => undefined);
    return next;
  }

  private mark(key: string | undefined): void {
    if (key) this.dirty.add(key);
  }

  private async syncOnce(): Promise<SyncReport> {
    const { clock } = this.opts;
    const full = this.needFullSync || clock.now() - this.lastFullSync > (this.opts.fullSyncPeriodMs ?? HOUR);
    const changed = this.dirty;
    this.dirty = new Set();
    try {
      return await this.write(full, changed);
    } catch (err) {
      // The kernel may hold a mix of old and new state only if restore half-failed, which it
      // cannot (it commits atomically), but our cache no longer matches it: start over fully.
      for (const k of changed) this.dirty.add(k);
      this.needFullSync = true;
      if (err instanceof KubewireError) throw err;
      throw new ProxierSyncError(
        `kube-proxy sync of ${this.opts.netns} failed: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    }
  }

  private async write(full: boolean, changed: Set<string>): Promise<SyncReport> {
    const { clock, netns, restorer } = this.opts;
    let saveMs = 0;
    let existing: ReturnType<typeof savedRuleSets> | undefined;
    if (full) {
      const t = clock.now();
      existing = savedRuleSets(parseIptablesSave(await restorer.save(netns)));
      saveMs = clock.now() - t;
    }

    const t0 = clock.now();
    const keys = this.state.serviceKeys();
    // Refresh endpoint counts of changed services first: large-cluster mode depends on the total.
    const fresh = new Map<string, ReturnType<ProxyState['endpointsOf']>>();
    for (const k of changed) {
      if (!this.state.hasService(k)) {
        this.cache.delete(k);
        continue;
      }
      const eps = this.state.endpointsOf(k);
      fresh.set(k, eps);
      this.cache.set(k, { rendered: [], endpoints: this.state.endpointCount(k, eps) });
    }
    let total = 0;
    for (const k of keys) total += this.cache.get(k)?.endpoints ?? this.state.endpointCount(k);
    const large = total > LARGE_CLUSTER_ENDPOINTS;
    // Comments appear or vanish in every chain when the mode flips: rewrite everything then.
    const rewriteAll = full || large !== this.largeClusterMode;
    const ctx: RenderContext = {
      masqueradeAll: this.config.masqueradeAll,
      largeClusterMode: large,
      probabilities: this.probabilities,
      ...(this.config.clusterCIDR ? { clusterCIDR: this.config.clusterCIDR } : {}),
      ...(this.config.nodeIP ? { nodeIP: this.config.nodeIP } : {}),
    };
    const active = new Set<string>();
    const services = keys.map((k) => {
      let c = this.cache.get(k);
      if (!c || c.rendered.length === 0 || rewriteAll || changed.has(k)) {
        const eps = fresh.get(k) ?? this.state.endpointsOf(k);
        c = { rendered: this.state.render(k, ctx, eps), endpoints: this.state.endpointCount(k, eps) };
        this.cache.set(k, c);
      }
      for (const p of c.rendered) for (const ch of p.ownChains) active.add(ch);
      return { serviceKey: k, ports: c.rendered };
    });
    const candidates = new Set(this.writtenChains);
    if (existing) for (const ch of existing.get('nat')?.chains ?? []) if (isServiceChainName(ch)) candidates.add(ch);
    const stale = [...candidates].filter((ch) => !active.has(ch)).sort();
    const assembled = assembleRuleset({
      config: this.config,
      services,
      writeOwnChains: (k) => rewriteAll || changed.has(k),
      staleChains: stale,
      ...(rewriteAll || !this.lastShared ? {} : { previousShared: this.lastShared }),
      ...(existing
        ? {
            missingJumps: missingJumps(existing),
            declareCanary: true,
            declareKubeletFirewall: !existing.get('filter')?.chains.has('KUBE-FIREWALL'),
          }
        : {}),
    });
    const renderMs = clock.now() - t0;

    const t1 = clock.now();
    // Nothing changed at all: no iptables-restore (kube-proxy would still rewrite shared chains).
    if (assembled.text) await restorer.restore(netns, assembled.text);
    const restoreMs = clock.now() - t1;

    this.writtenChains = active;
    this.largeClusterMode = large;
    this.lastShared = assembled.shared;
    const flows = new Map<string, ServicePortFlows>();
    for (const s of services) for (const p of s.ports) flows.set(p.flows.portKey, p.flows);
    const filters = staleUdpFlows(this.lastFlows, flows);
    this.lastFlows = flows;
    let conntrackError: string | undefined;
    if (filters.length && this.opts.conntrack) {
      // The rules are in place; a cleanup failure is reported, not retried as a failed sync.
      await this.opts.conntrack.deleteFlows(netns, filters).catch((err: unknown) => {
        conntrackError = err instanceof Error ? err.message : String(err);
      });
    }
    if (assembled.text) this.lastText = assembled.text;
    if (full) {
      this.needFullSync = false;
      this.lastFullSync = clock.now();
    }
    return {
      full,
      services: keys.length,
      endpoints: total,
      servicesWritten: rewriteAll ? keys.length : keys.filter((k) => changed.has(k)).length,
      natChainsWritten: assembled.natChainsWritten,
      sharedChainsWritten: assembled.sharedChainsWritten,
      staleChainsDeleted: assembled.staleChainsDeleted,
      largeClusterMode: large,
      saveMs,
      renderMs,
      restoreMs,
      bytes: assembled.text.length,
      udpFlowFilters: this.opts.conntrack ? filters.length : 0,
      ...(conntrackError ? { conntrackError } : {}),
    };
  }
}

/** Jump rules iptables-save does not show, in kube-proxy's order. */
export function missingJumps(existing: ReturnType<typeof savedRuleSets>): JumpRule[] {
  return JUMP_RULES.filter((j) => !existing.get(j.table)?.rules.has(`-A ${j.from} ${j.spec}`));
}

export { CANARY_CHAIN };
