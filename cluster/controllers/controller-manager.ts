// kube-controller-manager in one object: it campaigns for the kube-system/kube-controller-manager
// Lease and, while leading, runs every controller over one set of shared informers; losing the
// lease (or stop) disposes them all, so a standby instance can take over with fresh caches.
import { hostname } from 'node:os';
import { SharedInformerFactory } from '../client/informer-factory.js';
import type { KubeClient } from '../client/kube-client.js';
import { SystemClock, type Clock } from '../client/clock.js';
import type { Disposer } from '../client/rest-client.js';
import { describeError, KubewireError } from '../../common/errors.js';
import { LeaderElector, type ElectionStats } from '../leader/leader-elector.js';
import { ApiLeaseLock } from '../leader/lease-lock.js';
import type { Controller } from './base-controller.js';
import type { ControllerContext } from './controller-context.js';
import { EventRecorder } from './events/event-recorder.js';
import { AddressPool } from './service/address-pool.js';
import { controllerFactories, type ControllerName, type ControllerSettings } from './registry.js';

export class ControllerManagerConfigError extends KubewireError {}

/** How long a new leader's controllers wait for their caches' first lists at most. */
const CACHE_SYNC_LIMIT_MS = 60_000;

export interface LeaderElectionSettings {
  namespace?: string;
  name?: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
}

export interface ControllerManagerOptions {
  client: KubeClient;
  clock?: Clock;
  /** Holder identity on the Lease; kube uses `<hostname>_<uuid>`. */
  identity?: string;
  /** Which controllers run (default: all). */
  controllers?: ControllerName[];
  /** false: act at once without a Lease (one instance only). */
  leaderElection?: false | LeaderElectionSettings;
  settings?: ControllerSettings;
  workers?: number;
  onError?: (err: unknown, context: string) => void;
  log?: (line: string) => void;
}

export class ControllerManager {
  readonly identity: string;
  private readonly clock: Clock;
  private running:
    | {
        controllers: (Controller & { idle?(): boolean })[];
        stop: Disposer;
        recorders: EventRecorder[];
        /** The caches are listed and the controllers' workers run. */
        started: boolean;
      }
    | undefined;
  private elector: LeaderElector | undefined;
  private readonly log: (line: string) => void;

  constructor(private readonly opts: ControllerManagerOptions) {
    this.clock = opts.clock ?? new SystemClock();
    this.identity = opts.identity ?? `${hostname()}_${crypto.randomUUID()}`;
    this.log = opts.log ?? (() => {});
    // Bad settings are refused here, before anything runs, rather than when leadership is won.
    if (opts.settings?.loadBalancerPool)
      new AddressPool(opts.settings.loadBalancerPool, 'controller-manager settings: loadBalancerPool');
    for (const name of opts.controllers ?? []) {
      if (!(name in controllerFactories))
        throw new ControllerManagerConfigError(
          `controllers: unknown controller ${JSON.stringify(name)}; known: ${Object.keys(controllerFactories).join(', ')}`,
        );
    }
  }

  /** Terms this instance acted in (its loops started): 0 for a standby that never led. */
  terms = 0;

  /** Its elector's counts (reads of the Lease, acquisitions); undefined without leader election. */
  get election(): ElectionStats | undefined {
    return this.elector?.stats;
  }

  /** True while this instance leads (or always, without leader election) and its controllers run. */
  isActive(): boolean {
    return !!this.running;
  }

  /** No controller has a key queued or in progress (tests wait on this); false while caches fill. */
  idle(): boolean {
    return !this.running || (this.running.started && this.running.controllers.every((c) => c.idle?.() ?? true));
  }

  start(): Disposer {
    const le = this.opts.leaderElection;
    if (le === false) {
      this.startControllers();
      return () => this.stopControllers();
    }
    const lock = new ApiLeaseLock(
      this.opts.client.leases,
      le?.namespace ?? 'kube-system',
      le?.name ?? 'kube-controller-manager',
    );
    this.elector = new LeaderElector(
      {
        lock,
        identity: this.identity,
        leaseDurationMs: le?.leaseDurationMs,
        renewDeadlineMs: le?.renewDeadlineMs,
        retryPeriodMs: le?.retryPeriodMs,
        releaseOnCancel: true,
        onError: (e) => this.opts.onError?.(e, 'leader election'),
      },
      this.clock,
      {
        onStartedLeading: () => {
          this.log(`${this.identity}: became leader of ${lock.description}`);
          this.startControllers();
          return () => this.stopControllers();
        },
        onStoppedLeading: () => this.log(`${this.identity}: stopped leading ${lock.description}`),
      },
    );
    const stop = this.elector.run();
    return stop;
  }

  /** Stops (and with leader election releases the lease); resolves when done. */
  async stop(): Promise<void> {
    if (this.elector) await this.elector.stop();
    else this.stopControllers();
  }

  private startControllers(): void {
    if (this.running) return;
    this.terms++;
    const informers = new SharedInformerFactory(this.opts.client, this.clock, {
      onError: (e, c) => this.opts.onError?.(e, `informer ${c}`),
    });
    const recorders: EventRecorder[] = [];
    const host = this.identity.split('_')[0];
    const ctx: ControllerContext = {
      client: this.opts.client,
      informers,
      clock: this.clock,
      workers: this.opts.workers,
      recorder: (component) => {
        const r = new EventRecorder(this.opts.client.events, { component, host }, this.clock, (e) =>
          this.opts.onError?.(e, `events ${component}`),
        );
        recorders.push(r);
        return r;
      },
      onError:
        this.opts.onError ?? ((err, context) => console.error(`controller-manager: ${context}: ${describeError(err)}`)),
    };
    const names = this.opts.controllers ?? (Object.keys(controllerFactories) as ControllerName[]);
    const controllers = names.map((n) => controllerFactories[n](ctx, this.opts.settings ?? {}));
    // The controllers asked the factory for their informers when they were made: list them all
    // before any worker runs, as kube-controller-manager waits for its caches before Run. A new
    // leader starts from empty caches; a ReplicaSet controller that sees its ReplicaSets before
    // their pods would create every replica again.
    informers.start();
    const stops: Disposer[] = [];
    const running: NonNullable<ControllerManager['running']> = {
      controllers,
      recorders,
      started: false,
      stop: () => {
        running.started = false;
        for (const s of stops.splice(0)) s();
        informers.shutdown();
      },
    };
    this.running = running;
    // A list that keeps failing must not stall every controller for good: they start anyway after
    // CACHE_SYNC_LIMIT_MS (the informer goes on retrying; its handlers get the objects when it lists).
    const begin = (why?: string) => {
      cancelLimit();
      if (this.running !== running || running.started) return; // stopped (lost the lease) meanwhile
      if (why) this.log(`${this.identity}: ${why}`);
      stops.push(...controllers.map((c) => c.start()));
      informers.start(); // informers a controller asked for only in start()
      running.started = true;
    };
    const cancelLimit = this.clock.setTimer(
      () => begin(`caches not synced after ${CACHE_SYNC_LIMIT_MS / 1000} s; starting the controllers anyway`),
      CACHE_SYNC_LIMIT_MS,
    );
    stops.push(() => cancelLimit());
    void informers.waitForCacheSync().then(() => begin());
  }

  private stopControllers(): void {
    const r = this.running;
    this.running = undefined;
    r?.stop();
  }
}
