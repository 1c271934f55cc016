// Leader election on a Lease, with client-go's leaderelection semantics: a candidate takes the lease
// when it is free or its holder has not renewed for leaseDuration (measured on the candidate's own
// clock from when it last saw the record change, so clock skew between hosts does not matter); the
// leader renews every retryPeriod and gives up leading when it could not renew for renewDeadline,
// which is shorter than leaseDuration, so it stops acting before anyone else may start.
// After losing, the elector goes back to standing by (client-go components exit instead; a
// disposer-based composition can simply wait for the next term).
import type { Lease } from '../../common/api-types.js';
import type { Clock } from '../client/clock.js';
import type { Disposer } from '../client/rest-client.js';
import { describeError, KubewireError } from '../../common/errors.js';
import type { LeaseLock } from './lease-lock.js';
import { microTime } from '../../common/time.js';

export interface LeaderCallbacks {
  /** Now leading: start acting. May return what stops that. */
  onStartedLeading(): Disposer | void;
  /** No longer leading (lost the lease or stopped): stop acting at once. */
  onStoppedLeading?(): void;
  /** Someone (maybe us) was observed holding the lease. */
  onNewLeader?(identity: string): void;
}

export interface LeaderElectionConfig {
  lock: LeaseLock;
  identity: string;
  /** client-go/kube-controller-manager defaults: 15 s, 10 s, 2 s. */
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  /** On stop, hand the lease back (holder cleared, duration 1 s) so a standby takes over at once. */
  releaseOnCancel?: boolean;
  onError?: (err: unknown) => void;
}

export class LeaderElectionConfigError extends KubewireError {}

/** Lease times are MicroTime: RFC 3339 with microseconds. */
export { microTime };

const JITTER = 1.2;

/** What an elector did, counted: tests bound a takeover by these, not by the wall clock. */
export interface ElectionStats {
  /** Attempts whose read of the lease succeeded. */
  reads: number;
  /** Successful reads since the record last changed (the holder's renewals reset it). */
  readsOfSameRecord: number;
  /** Times this elector took the lease from another holder (or from none). */
  acquisitions: number;
  /** At the last acquisition: the previous holder, how many of our reads saw its last record, and
   *  that record's renewTime next to the acquireTime we wrote. */
  lastAcquisition?: {
    previousHolder: string;
    readsOfLastRecord: number;
    previousRenewTime?: string;
    acquireTime?: string;
  };
}

export class LeaderElector {
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private observed: { json: string; holder: string; at: number; lease?: Lease } = { json: '', holder: '', at: 0 };
  private leading = false;
  private lastRenewMs = 0;
  private stopped = true;
  private cancelTimer: (() => void) | undefined;
  private stopActing: Disposer | void = undefined;
  private reportedLeader = '';
  private attempt: Promise<void> = Promise.resolve();
  readonly stats: ElectionStats = { reads: 0, readsOfSameRecord: 0, acquisitions: 0 };

  constructor(
    private readonly config: LeaderElectionConfig,
    private readonly clock: Clock,
    private readonly callbacks: LeaderCallbacks,
  ) {
    this.leaseDurationMs = config.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = config.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = config.retryPeriodMs ?? 2_000;
    if (this.leaseDurationMs <= this.renewDeadlineMs)
      throw new LeaderElectionConfigError(
        `leader election ${config.lock.description}: leaseDuration (${this.leaseDurationMs} ms) must be greater than renewDeadline (${this.renewDeadlineMs} ms)`,
      );
    if (this.renewDeadlineMs <= JITTER * this.retryPeriodMs)
      throw new LeaderElectionConfigError(
        `leader election ${config.lock.description}: renewDeadline (${this.renewDeadlineMs} ms) must be greater than retryPeriod*1.2 (${JITTER * this.retryPeriodMs} ms)`,
      );
    if (!config.identity)
      throw new LeaderElectionConfigError(`leader election ${config.lock.description}: identity must not be empty`);
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** The holder last observed on the lease ('' when none). */
  getLeader(): string {
    return this.observed.holder;
  }

  /** Starts campaigning; the disposer stops, steps down (and releases the lease if so configured). */
  run(): Disposer {
    if (!this.stopped) return () => void this.stop();
    this.stopped = false;
    this.schedule(0);
    return () => void this.stop();
  }

  /** Stops campaigning and steps down; resolves once the lease is released (if configured). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.cancelTimer?.();
    await this.attempt;
    const wasLeading = this.leading;
    this.stepDown();
    if (wasLeading && this.config.releaseOnCancel) await this.release();
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.cancelTimer = this.clock.setTimer(() => {
      this.cancelTimer = undefined;
      this.attempt = this.tick();
    }, ms);
  }

  private async tick(): Promise<void> {
    let ok = false;
    try {
      ok = await this.tryAcquireOrRenew();
    } catch (err) {
      if (this.config.onError) this.config.onError(err);
      else console.error(`leader election ${this.config.lock.description}: ${describeError(err)}`);
    }
    if (this.stopped) return;
    const now = this.clock.now();
    if (ok) {
      this.lastRenewMs = now;
      if (!this.leading) {
        this.leading = true;
        this.stopActing = this.callbacks.onStartedLeading();
      }
      this.schedule(this.retryPeriodMs);
      return;
    }
    if (this.leading && now - this.lastRenewMs >= this.renewDeadlineMs) this.stepDown();
    // Standing by: try again after a jittered retry period, as wait.JitterUntil does.
    this.schedule(this.leading ? this.retryPeriodMs : this.retryPeriodMs * (1 + Math.random() * (JITTER - 1)));
  }

  private stepDown(): void {
    if (!this.leading) return;
    this.leading = false;
    const stop = this.stopActing;
    this.stopActing = undefined;
    try {
      if (stop) stop();
    } finally {
      this.callbacks.onStoppedLeading?.();
    }
  }

  private observe(lease: Lease, now: number): void {
    const json = JSON.stringify(lease.spec);
    if (json !== this.observed.json) {
      this.observed = { json, holder: lease.spec.holderIdentity ?? '', at: now, lease };
      this.stats.readsOfSameRecord = 0;
    } else this.observed.lease = lease;
    const holder = lease.spec.holderIdentity ?? '';
    if (holder && holder !== this.reportedLeader) {
      this.reportedLeader = holder;
      this.callbacks.onNewLeader?.(holder);
    }
  }

  /** One attempt of client-go's tryAcquireOrRenew: true when we hold the lease afterwards. */
  private async tryAcquireOrRenew(): Promise<boolean> {
    const { lock, identity } = this.config;
    const now = this.clock.now();
    const spec = {
      holderIdentity: identity,
      leaseDurationSeconds: Math.ceil(this.leaseDurationMs / 1000),
      acquireTime: microTime(now),
      renewTime: microTime(now),
      leaseTransitions: 0,
    };
    const current = await lock.get();
    this.stats.reads++;
    if (!current) {
      const created = await lock.create({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: {}, spec });
      this.stats.acquisitions++;
      this.stats.lastAcquisition = { previousHolder: '', readsOfLastRecord: 1, acquireTime: spec.acquireTime };
      this.observe(created, this.clock.now());
      return true;
    }
    this.observe(current, now);
    this.stats.readsOfSameRecord++;
    const holder = current.spec.holderIdentity ?? '';
    const durationMs = (current.spec.leaseDurationSeconds ?? 0) * 1000;
    if (holder && holder !== identity && this.observed.at + durationMs > now) return false;
    if (holder === identity) {
      spec.acquireTime = current.spec.acquireTime ?? spec.acquireTime;
      spec.leaseTransitions = current.spec.leaseTransitions ?? 0;
    } else {
      spec.leaseTransitions = (current.spec.leaseTransitions ?? 0) + 1;
    }
    const updated = await lock.update({ ...current, spec: { ...current.spec, ...spec } });
    if (holder !== identity) {
      this.stats.acquisitions++;
      this.stats.lastAcquisition = {
        previousHolder: holder,
        readsOfLastRecord: this.stats.readsOfSameRecord,
        previousRenewTime: current.spec.renewTime ?? undefined,
        acquireTime: spec.acquireTime,
      };
    }
    this.observe(updated, this.clock.now());
    return true;
  }

  private async release(): Promise<void> {
    try {
      const current = await this.config.lock.get();
      if (!current || current.spec.holderIdentity !== this.config.identity) return;
      const now = microTime(this.clock.now());
      await this.config.lock.update({
        ...current,
        spec: { ...current.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: now, acquireTime: now },
      });
    } catch (err) {
      if (this.config.onError) this.config.onError(err);
      else console.error(`leader election ${this.config.lock.description}: release: ${describeError(err)}`);
    }
  }
}
