// kube-proxy's BoundedFrequencyRunner (pkg/util/async) on the work queue every controller and
// agent here uses, with a single key: run() asks for a run, which happens at once if the last one
// started at least minInterval ago and otherwise when it has; requests made meanwhile fold into
// that one run; a run that fails is retried with backoff (never sooner than minInterval) until one
// succeeds. Never two runs at once.
import type { Clock } from '../clock.js';
import type { Disposer } from '../rest-client.js';
import { QueueWorker } from './queue-worker.js';
import { ExponentialFailureRateLimiter } from './rate-limiter.js';

export interface BoundedFrequencyRunnerOptions {
  /** At most one run starts per this period (kube-proxy's minSyncPeriod). */
  minIntervalMs: number;
  /** The first retry after a failure waits this long (at least minIntervalMs; default minIntervalMs). */
  retryBaseMs?: number;
  /** Retries double their wait up to this (default 30 s). */
  retryMaxMs?: number;
  /** Hears about failed runs (they are retried anyway). */
  onError: (err: unknown) => void;
}

const KEY = 'run';

export class BoundedFrequencyRunner {
  private readonly worker: QueueWorker;
  private lastStart = -Infinity;

  constructor(
    name: string,
    private readonly clock: Clock,
    fn: () => Promise<void>,
    private readonly opts: BoundedFrequencyRunnerOptions,
  ) {
    const base = Math.max(opts.retryBaseMs ?? opts.minIntervalMs, opts.minIntervalMs);
    this.worker = new QueueWorker(
      name,
      clock,
      async () => {
        this.lastStart = clock.now();
        await fn();
      },
      {
        workers: 1,
        maxRetries: Infinity,
        rateLimiter: new ExponentialFailureRateLimiter(base, Math.max(base, opts.retryMaxMs ?? 30_000)),
        onError: (err) => opts.onError(err),
      },
    );
  }

  /** Starts running what run() asks for; the disposer stops it (a run under way finishes). */
  start(): Disposer {
    return this.worker.run();
  }

  /** Asks for a run: now if the last one started minInterval ago or more, else as soon as it has. */
  run(): void {
    this.worker.enqueueAfter(KEY, this.lastStart + this.opts.minIntervalMs - this.clock.now());
  }

  /** Resolves when no run is under way or due (one waiting out minInterval or a retry does not count). */
  whenIdle(): Promise<void> {
    return this.worker.whenIdle();
  }
}
