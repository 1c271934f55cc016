// When kube-proxy syncs: soon after a change, but never twice within minSyncPeriod (changes that
// arrive meanwhile are batched into the next sync), at least every syncPeriod, and after a failed
// sync again after a retry delay (kube-proxy's BoundedFrequencyRunner). One sync at a time.
/** The project's client Clock (cluster/client/clock.ts) fits: SystemClock or FakeClock. */
export interface TimerClock {
  now(): number;
  /** Runs fn after ms; the returned function cancels it. */
  setTimer(fn: () => void, ms: number): () => void;
}

export interface SyncRunnerOptions {
  /** The sync itself, e.g. () => proxier.sync(). */
  run: () => Promise<unknown>;
  clock: TimerClock;
  /** kube-proxy's --iptables-min-sync-period (default 1 s). */
  minIntervalMs?: number;
  /** kube-proxy's --iptables-sync-period (default 30 s). */
  maxIntervalMs?: number;
  /** Delay before retrying a failed sync (default: minIntervalMs). */
  retryMs?: number;
  onError?: (err: unknown) => void;
}

export class SyncRunner {
  private cancelTimer: (() => void) | undefined;
  private dueAt = Infinity;
  private running = false;
  private requestedWhileRunning = false;
  private lastStart = -Infinity;
  private stopped = true;

  constructor(private readonly o: SyncRunnerOptions) {}

  private get min(): number {
    return this.o.minIntervalMs ?? 1000;
  }

  /** Starts with an immediate sync; the returned function stops the runner (a running sync finishes). */
  start(): () => void {
    this.stopped = false;
    this.schedule(this.o.clock.now());
    return () => {
      this.stopped = true;
      this.cancelTimer?.();
      this.cancelTimer = undefined;
      this.dueAt = Infinity;
    };
  }

  /** Something changed: sync as soon as minIntervalMs allows. */
  request(): void {
    if (this.running) {
      this.requestedWhileRunning = true;
      return;
    }
    this.schedule(Math.max(this.o.clock.now(), this.lastStart + this.min));
  }

  private schedule(at: number): void {
    if (this.stopped || this.running || at >= this.dueAt) return;
    this.cancelTimer?.();
    this.dueAt = at;
    this.cancelTimer = this.o.clock.setTimer(() => void this.fire(), Math.max(0, at - this.o.clock.now()));
  }

  private async fire(): Promise<void> {
    this.cancelTimer = undefined;
    this.dueAt = Infinity;
    this.running = true;
    this.lastStart = this.o.clock.now();
    let next = this.lastStart + (this.o.maxIntervalMs ?? 30_000);
    try {
      await this.o.run();
    } catch (err) {
      next = this.o.clock.now() + (this.o.retryMs ?? this.min);
      this.o.onError?.(err);
    } finally {
      this.running = false;
    }
    this.schedule(next);
    if (this.requestedWhileRunning) {
      this.requestedWhileRunning = false;
      this.request();
    }
  }
}
