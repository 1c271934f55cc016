// kube-scheduler as a process would run it: it campaigns for the kube-system/kube-scheduler Lease
// and schedules only while it leads, over informers of its own; losing the lease (or stop) stops
// the scheduler and drops its caches, so a standby instance takes over with fresh ones.
import { hostname } from 'node:os';
import { SystemClock, type Clock } from '../client/clock.js';
import { SharedInformerFactory } from '../client/informer-factory.js';
import type { KubeClient } from '../client/kube-client.js';
import type { Disposer } from '../client/rest-client.js';
import { LeaderElector, type ElectionStats } from '../leader/leader-elector.js';
import { ApiLeaseLock } from '../leader/lease-lock.js';
import type { SchedulingDecision } from './decision.js';
import { Scheduler, type SchedulerOptions } from './scheduler.js';

export interface SchedulerServerOptions extends SchedulerOptions {
  client: KubeClient;
  clock?: Clock;
  /** Holder identity on the Lease; kube uses `<hostname>_<uuid>`. */
  identity?: string;
  /** false: schedule at once without a Lease (one instance only). */
  leaderElection?:
    | false
    | { namespace?: string; name?: string; leaseDurationMs?: number; renewDeadlineMs?: number; retryPeriodMs?: number };
  log?: (line: string) => void;
}

export class SchedulerServer {
  readonly identity: string;
  private readonly clock: Clock;
  private running: { scheduler: Scheduler; informers: SharedInformerFactory } | undefined;
  private elector: LeaderElector | undefined;
  private readonly listeners = new Set<(d: SchedulingDecision) => void>();

  constructor(private readonly opts: SchedulerServerOptions) {
    this.clock = opts.clock ?? new SystemClock();
    this.identity = opts.identity ?? `${hostname()}_${crypto.randomUUID()}`;
  }

  /** The scheduler while this instance leads, else undefined. */
  get scheduler(): Scheduler | undefined {
    return this.running?.scheduler;
  }

  /** Terms this instance acted in (its loops started): 0 for a standby that never led. */
  terms = 0;

  /** Its elector's counts (reads of the Lease, acquisitions); undefined without leader election. */
  get election(): ElectionStats | undefined {
    return this.elector?.stats;
  }

  isActive(): boolean {
    return !!this.running;
  }

  /** Decisions of whichever term is running now; the listener survives leadership changes. */
  onDecision(listener: (d: SchedulingDecision) => void): Disposer {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  start(): Disposer {
    const le = this.opts.leaderElection;
    if (le === false) {
      this.startScheduling();
      return () => void this.stopScheduling();
    }
    const lock = new ApiLeaseLock(
      this.opts.client.leases,
      le?.namespace ?? 'kube-system',
      le?.name ?? 'kube-scheduler',
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
          this.opts.log?.(`${this.identity}: became leader of ${lock.description}`);
          this.startScheduling();
          return () => void this.stopScheduling();
        },
        onStoppedLeading: () => this.opts.log?.(`${this.identity}: stopped leading ${lock.description}`),
      },
    );
    return this.elector.run();
  }

  /** Stops scheduling (and hands the lease back); resolves when done. */
  async stop(): Promise<void> {
    if (this.elector) await this.elector.stop();
    await this.stopScheduling();
  }

  private startScheduling(): void {
    if (this.running) return;
    this.terms++;
    const informers = new SharedInformerFactory(this.opts.client, this.clock, {
      onError: (e, c) => this.opts.onError?.(e, `informer ${c}`),
    });
    const host = this.identity.split('_')[0];
    const scheduler = new Scheduler(this.opts.client, informers, this.clock, { host, ...this.opts });
    scheduler.onDecision((d) => {
      for (const l of this.listeners) l(d);
    });
    scheduler.start();
    this.running = { scheduler, informers };
  }

  private async stopScheduling(): Promise<void> {
    const r = this.running;
    if (!r) return;
    this.running = undefined;
    await r.scheduler.stop();
    r.informers.shutdown();
  }
}
