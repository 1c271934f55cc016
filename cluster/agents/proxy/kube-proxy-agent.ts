// kube-proxy on one node: Service and EndpointSlice informers (with the node's identity) feed the
// proxy helper's Proxier, and each change asks kube-proxy's sync runner (a BoundedFrequencyRunner
// on the shared work queue) for a sync: at once after a quiet spell, at most one per
// minSyncPeriod in a burst, retried with backoff after a failure (which also forces the next sync
// to be a full one). Each sync writes the node namespace's rules with one iptables-restore (or nft).
import type { EndpointSlice, Service } from '../../../common/api-types.js';
import { describeError } from '../../../common/errors.js';
import type { Clock } from '../../client/clock.js';
import { SharedInformerFactory } from '../../client/informer-factory.js';
import type { KubeClient } from '../../client/kube-client.js';
import type { Disposer } from '../../client/rest-client.js';
import { BoundedFrequencyRunner } from '../../client/workqueue/bounded-frequency-runner.js';
import type { SyncReport } from '../../proxy/proxier.js';
import type { ProxyBackend } from '../../proxy/proxy-backend.js';
import type { EndpointSliceObject, ServiceObject } from '../../proxy/proxy-types.js';

export interface KubeProxyAgentOptions {
  /** At most one sync per this period, so a burst of changes is one or two restores (kube-proxy's minSyncPeriod, 1 s). */
  minSyncPeriodMs?: number;
  /** The longest wait between retries of a failing sync (the first waits minSyncPeriod; default 30 s). */
  maxRetryPeriodMs?: number;
  log(line: string): void;
  onSync?(report: SyncReport): void;
}

export class KubeProxyAgent {
  private readonly factory: SharedInformerFactory;
  private readonly runner: BoundedFrequencyRunner;
  /** Both caches have their first list: syncing before would write rules from half the picture. */
  private initialized = false;
  synced = 0;

  constructor(
    client: KubeClient,
    clock: Clock,
    private readonly proxier: ProxyBackend,
    private readonly opts: KubeProxyAgentOptions,
    /** The informers to watch with (default: kube-proxy's own). */
    factory?: SharedInformerFactory,
  ) {
    this.factory =
      factory ??
      new SharedInformerFactory(client, clock, {
        onError: (e, c) => opts.log(`kube-proxy: informer ${c}: ${describeError(e)}`),
      });
    this.runner = new BoundedFrequencyRunner('kube-proxy sync', clock, () => this.sync(), {
      minIntervalMs: opts.minSyncPeriodMs ?? 1000,
      retryMaxMs: opts.maxRetryPeriodMs ?? 30_000,
      onError: (err) => opts.log(`kube-proxy: sync failed: ${describeError(err)}`),
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
    const stopRunner = this.runner.start();
    void this.factory.waitForCacheSync().then(() => {
      this.initialized = true;
      this.runner.run();
    });
    return () => {
      stopRunner();
      for (const s of stops) s();
      this.factory.shutdown();
    };
  }

  /** Resolves when no sync is under way or due now (tests). */
  settled(): Promise<void> {
    return this.runner.whenIdle();
  }

  private changed(apply: () => void): void {
    apply();
    if (this.initialized) this.runner.run();
  }

  /** Writes what changed since the last good sync (everything after a failure). */
  private async sync(): Promise<void> {
    if (!this.proxier.pending()) return;
    try {
      const r = await this.proxier.sync();
      this.synced++;
      this.opts.onSync?.(r);
    } catch (err) {
      this.proxier.forceFullSync();
      throw err;
    }
  }
}
