// Keeps the cluster DNS records file current (CoreDNS' kubernetes plugin, computed on the control
// plane's side): <svc>.<ns>.svc.<domain> → the cluster IP, or for a headless Service the ready
// endpoints' addresses, and <hostname>.<svc>.<ns>.svc.<domain> for endpoints with a hostname.
import type { EndpointSlice, Service } from '../../../common/api-types.js';
import type { Clock } from '../../client/clock.js';
import type { SharedInformerFactory } from '../../client/informer-factory.js';
import type { Disposer } from '../../client/rest-client.js';
import type { ClusterDnsConfig } from './cluster-dns-config.js';

export function dnsNames(
  cfg: ClusterDnsConfig,
  services: Service[],
  slices: EndpointSlice[],
): Record<string, string[]> {
  const names: Record<string, string[]> = {};
  const add = (n: string, ip: string) => {
    const l = (names[n] ??= []);
    if (!l.includes(ip)) l.push(ip);
  };
  const byService = new Map<string, EndpointSlice[]>();
  for (const s of slices) {
    const svc = s.metadata.labels?.['kubernetes.io/service-name'];
    if (!svc) continue;
    const k = `${s.metadata.namespace}/${svc}`;
    byService.set(k, [...(byService.get(k) ?? []), s]);
  }
  for (const svc of services) {
    const ns = svc.metadata.namespace ?? 'default';
    const base = `${svc.metadata.name}.${ns}.svc.${cfg.domain}`;
    const ip = svc.spec?.clusterIP;
    if (svc.spec?.type === 'ExternalName') continue;
    const headless = !ip || ip === 'None';
    if (!headless) add(base, ip);
    for (const sl of byService.get(`${ns}/${svc.metadata.name}`) ?? []) {
      for (const ep of sl.endpoints ?? []) {
        if (ep.conditions?.ready === false) continue;
        for (const a of ep.addresses ?? []) {
          if (headless) add(base, a);
          if (ep.hostname) add(`${ep.hostname}.${base}`, a);
        }
      }
    }
    if (headless && !names[base]) names[base] = [];
  }
  return names;
}

export class DnsRecordsWriter {
  private cancel: (() => void) | undefined;
  private last = '';

  constructor(
    private readonly factory: SharedInformerFactory,
    private readonly clock: Clock,
    private readonly cfg: ClusterDnsConfig,
    private readonly write: (text: string) => Promise<void>,
  ) {}

  start(): Disposer {
    const services = this.factory.services();
    const slices = this.factory.endpointSlices();
    const h = { onAdd: () => this.schedule(), onUpdate: () => this.schedule(), onDelete: () => this.schedule() };
    const stops = [services.addEventHandler(h), slices.addEventHandler(h)];
    this.factory.start();
    void this.factory.waitForCacheSync().then(() => this.schedule());
    return () => {
      this.cancel?.();
      stops.forEach((s) => s());
    };
  }

  private schedule(): void {
    if (this.cancel) return;
    this.cancel = this.clock.setTimer(() => {
      this.cancel = undefined;
      const text = JSON.stringify({
        domain: this.cfg.domain,
        upstream: this.cfg.upstream,
        names: dnsNames(this.cfg, this.factory.services().store.list(), this.factory.endpointSlices().store.list()),
      });
      if (text === this.last) return;
      this.last = text;
      void this.write(text + '\n');
    }, 50);
  }
}
