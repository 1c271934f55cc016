// kube-proxy on one node: Service and EndpointSlice informers (with the node's identity) feed the
// proxy helper's Proxier, and a sync runs shortly after each burst of changes (kube-proxy's
// minSyncPeriod), writing the node namespace's rules with one iptables-restore.
import type { EndpointSlice, Service } from '../../../common/api-types.js';
import { describeError } from '../../../common/errors.js';
import type { Clock } from '../../client/clock.js';
import { SharedInformerFactory } from '../../client/informer-factory.js';
import type { KubeClient } from '../../client/kube-client.js';
import type { Disposer } from '../../client/rest-client.js';
import type { SyncReport } from '../../proxy/proxier.js';
import type { ProxyBackend } from '../../proxy/proxy-backend.js';
import type { EndpointSliceObject, ServiceObject } from '../../proxy/proxy-types.js';

export interface KubeProxyAgentOptions {
  /** Delay between a change and the sync that writes it, so a burst is one restore (kube-proxy's minSyncPeriod, 1 s). */
  minSyncPeriodMs?: number;
  log(line: string): void;
  onSync?(report: SyncReport): void;
}

export class KubeProxyAgent {
  private readonly factory: SharedInformerFactory;
  private cancel: (() => void) | undefined;
  private syncing = false;
  private again = false;
  private stopped = false;
  synced = 0;

  constructor(
    private readonly client: KubeClient,
    private readonly clock: Clock,
    private readonly proxier: ProxyBackend,
    private readonly opts: KubeProxyAgentOptions,
  ) {
    this.factory = new SharedInformerFactory(client, clock, {
      onError: (e, c) => opts.log(`kube-proxy: informer ${c}: ${describeError(e)}`),
    });
  }

  start(): Disposer {
    const services = this.factory.services();
    const slices = this.factory.endpointSlices();
    const svc = (s: Service) => s as unknown as ServiceObject;
    const sl = (s: EndpointSlice) => s as unknown as EndpointSliceObject;
    const stops = [
      services.addEventHandler({
        onAdd: (s) => this.changed(() => this.proxier.onServiceUpsert(svc(s))),
        onUpdate: (_o, s) => this.changed(() => this.proxier.onServiceUpsert(svc(s))),
        onDelete: (s) => this.changed(() => this.proxier.onServiceDelete(svc(s))),
      }),
      slices.addEventHandler({
        onAdd: (s) => this.changed(() => this.proxier.onEndpointSliceUpsert(sl(s))),
        onUpdate: (_o, s) => this.changed(() => this.proxier.onEndpointSliceUpsert(sl(s))),
        onDelete: (s) => this.changed(() => this.proxier.onEndpointSliceDelete(sl(s))),
      }),
    ];
    this.factory.start();
    void this.factory.waitForCacheSync().then(() => this.schedule(0));
    return () => {
      this.stopped = true;
      this.cancel?.();
      for (const s of stops) s();
      this.factory.shutdown();
    };
  }

  private changed(apply: () => void): void {
    apply();
    this.schedule(this.opts.minSyncPeriodMs ?? 1000);
  }

  private schedule(ms: number): void {
    if (this.stopped || this.cancel) return;
    this.cancel = this.clock.setTimer(() => {
      this.cancel = undefined;
      void this.run();
    }, ms);
  }

  private async run(): Promise<void> {
    if (this.syncing) {
      this.again = true;
      return;
    }
    this.syncing = true;
    try {
      if (this.proxier.pending()) {
        const r = await this.proxier.sync();
        this.synced++;
        this.opts.onSync?.(r);
      }
    } catch (err) {
      this.opts.log(`kube-proxy: sync failed: ${describeError(err)}`);
      this.proxier.forceFullSync();
      this.again = true;
    } finally {
      this.syncing = false;
      if (this.again) {
        this.again = false;
        this.schedule(1000);
      }
    }
  }
}
