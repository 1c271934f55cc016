// kube-proxy 1.16's iptables proxier for one node (the article's): every sync reads iptables-save,
// ensures the jump rules, and writes the whole ruleset of render-v116.ts with one
// iptables-restore --noflush in the node's namespace. Services and endpoints come from the same
// informers as today's proxier (ProxyState), only the rules differ.
import { KubewireError } from '../../../common/errors.js';
import { staleUdpFlows, type ConntrackCleaner } from '../conntrack-cleanup.js';
import type { IptablesRestorer } from '../iptables-restorer.js';
import { parseIptablesSave, savedRuleSets } from '../../../common/iptables-save.js';
import { normalizeNodeConfig } from '../node-config.js';
import { fullSyncReport, type ProxyBackend } from '../proxy-backend.js';
import { ProxyState } from '../proxy-state.js';
import type { EndpointSliceObject, ProxyNodeConfig, ServiceObject } from '../proxy-types.js';
import type { Clock, SyncReport } from '../proxier.js';
import type { NormalizedNodeConfig } from '../render-ruleset.js';
import type { ServicePortFlows } from '../render-service.js';
import { servicePortsOf } from '../service-port-info.js';
import { renderV116, V116_JUMPS, type LegacyJump, type V116Service } from './render-v116.js';

export class ArticleProxierSyncError extends KubewireError {}

export interface ArticleProxierOptions {
  netns: string;
  restorer: IptablesRestorer;
  config: ProxyNodeConfig;
  clock: Clock;
  conntrack?: ConntrackCleaner;
}

/** The services of a ProxyState as render-v116 takes them (sorted by service, then port). */
export function v116Services(state: ProxyState, services: ReadonlyMap<string, ServiceObject>): V116Service[] {
  const out: V116Service[] = [];
  for (const key of state.serviceKeys()) {
    const svc = services.get(key);
    if (!svc) continue;
    const eps = state.endpointsOf(key);
    for (const port of servicePortsOf(svc)) out.push({ port, endpoints: eps.get(port.portKey) ?? [] });
  }
  return out;
}

export function missingV116Jumps(existing: ReturnType<typeof savedRuleSets>): LegacyJump[] {
  return V116_JUMPS.filter((x) => !existing.get(x.table)?.rules.has(`-A ${x.from} ${x.spec}`));
}

export class ArticleProxier implements ProxyBackend {
  private readonly config: NormalizedNodeConfig;
  private readonly state: ProxyState;
  private readonly services = new Map<string, ServiceObject>();
  private dirty = true;
  private lastText = '';
  private lastFlows = new Map<string, ServicePortFlows>();
  private running: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: ArticleProxierOptions) {
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
    return this.dirty;
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
    const { clock, netns, restorer } = this.opts;
    this.dirty = false;
    try {
      const t0 = clock.now();
      const existing = savedRuleSets(parseIptablesSave(await restorer.save(netns)));
      const t1 = clock.now();
      const services = v116Services(this.state, this.services);
      const out = renderV116({
        config: this.config,
        services,
        existingNatChains: existing.get('nat')?.chains ?? new Set(),
        missingJumps: missingV116Jumps(existing),
      });
      const t2 = clock.now();
      await restorer.restore(netns, out.text);
      const t3 = clock.now();
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
        chains: out.chains.length,
        stale: out.staleChainsDeleted,
        saveMs: t1 - t0,
        renderMs: t2 - t1,
        restoreMs: t3 - t2,
        bytes: out.text.length,
        udpFlowFilters: this.opts.conntrack ? filters.length : 0,
        ...(conntrackError ? { conntrackError } : {}),
      });
    } catch (err) {
      this.dirty = true;
      throw new ArticleProxierSyncError(
        `kube-proxy (article rules) sync of ${netns} failed: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    }
  }
}
