// Keeps the cluster DNS records file current (CoreDNS' kubernetes plugin, computed on the control
// plane's side): <svc>.<ns>.svc.<domain> → the cluster IP, or for a headless Service the ready
// endpoints' addresses, and <hostname>.<svc>.<ns>.svc.<domain> for endpoints with a hostname.
// Work is per Service, as in CoreDNS' kubernetes plugin: a Service or EndpointSlice change queues
// its Service's key, whose sync recomputes that Service's names; the records file is one more key
// of the same queue, so a burst of Service syncs ends in one write.
import type { EndpointSlice, Service } from '../../../common/api-types.js';
import { describeError } from '../../../common/errors.js';
import type { Clock } from '../../client/clock.js';
import type { SharedInformerFactory } from '../../client/informer-factory.js';
import { NamespaceIndex } from '../../client/indexer.js';
import type { Disposer } from '../../client/rest-client.js';
import { QueueWorker } from '../../client/workqueue/queue-worker.js';
import { ExponentialFailureRateLimiter } from '../../client/workqueue/rate-limiter.js';
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

/** The queue key of the records file; Service keys always hold a '/'. */
const RECORDS_FILE_KEY = 'records-file';

/** The key of the Service an EndpointSlice belongs to, if it names one. */
function sliceServiceKey(s: EndpointSlice): string | undefined {
  const svc = s.metadata.labels?.['kubernetes.io/service-name'];
  return svc ? `${s.metadata.namespace ?? 'default'}/${svc}` : undefined;
}

export class DnsRecordsWriter {
  private readonly worker: QueueWorker;
  /** Each Service's names, by Service key. */
  private readonly byService = new Map<string, Record<string, string[]>>();
  private last = '';

  constructor(
    private readonly factory: SharedInformerFactory,
    clock: Clock,
    private readonly cfg: ClusterDnsConfig,
    private readonly write: (text: string) => Promise<void>,
    log: (line: string) => void = () => {},
  ) {
    this.worker = new QueueWorker('cluster DNS records', clock, (key) => this.sync(key), {
      // One worker: the file key then always runs after the Service syncs queued before it.
      workers: 1,
      maxRetries: Infinity,
      rateLimiter: new ExponentialFailureRateLimiter(50, 30_000),
      onError: (e, context) => log(`${context}: ${describeError(e)}`),
    });
  }

  start(): Disposer {
    const services = this.factory.services();
    const slices = this.factory.endpointSlices();
    const svc = (s: Service) => this.worker.enqueue(s);
    const slice = (s: EndpointSlice) => {
      const key = sliceServiceKey(s);
      if (key) this.worker.enqueueKey(key);
    };
    const stops = [
      services.addEventHandler({ onAdd: svc, onUpdate: (_o, s) => svc(s), onDelete: svc }),
      slices.addEventHandler({
        onAdd: slice,
        onUpdate: (o, s) => {
          slice(o);
          slice(s);
        },
        onDelete: slice,
      }),
    ];
    this.factory.start();
    const stopWorker = this.worker.run();
    // The first file, even with no Service yet: the server answers from it.
    void this.factory.waitForCacheSync().then(() => this.worker.enqueueKey(RECORDS_FILE_KEY));
    return () => {
      stopWorker();
      stops.forEach((s) => s());
    };
  }

  /** Resolves when every change seen so far is in the file or waiting out a retry (tests). */
  settled(): Promise<void> {
    return this.worker.whenIdle();
  }

  private async sync(key: string): Promise<void> {
    if (key === RECORDS_FILE_KEY) return this.writeFile();
    const svc = this.factory.services().store.get(key);
    const names = svc
      ? dnsNames(
          this.cfg,
          [svc],
          this.factory
            .endpointSlices()
            .store.byIndex(NamespaceIndex, svc.metadata.namespace ?? 'default')
            .filter((s) => sliceServiceKey(s) === key),
        )
      : {};
    if (Object.keys(names).length) this.byService.set(key, names);
    else this.byService.delete(key);
    this.worker.enqueueKey(RECORDS_FILE_KEY);
  }

  private async writeFile(): Promise<void> {
    const names: Record<string, string[]> = {};
    for (const key of [...this.byService.keys()].sort()) Object.assign(names, this.byService.get(key));
    const text = JSON.stringify({ domain: this.cfg.domain, upstream: this.cfg.upstream, names });
    if (text === this.last) return;
    await this.write(text + '\n');
    this.last = text;
  }
}
