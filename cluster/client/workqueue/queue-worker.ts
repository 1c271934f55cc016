// The loop every controller and node agent runs (client-go's sample-controller, kubelet's pod
// workers, kube-proxy's sync runner): event handlers put keys in a rate-limited work queue; workers
// take a key and run an idempotent reconcile(key) that reads the caches and makes the world match;
// a failure requeues the key with backoff, success forgets its backoff. A key is never reconciled
// by two workers at once, and changes during a reconcile fold into one more pass.
import type { Clock } from '../clock.js';
import type { Disposer } from '../rest-client.js';
import type { KubeObject } from '../../../common/api-types.js';
import { describeError } from '../../../common/errors.js';
import { objectKey } from '../indexer.js';
import type { RateLimiter } from './rate-limiter.js';
import { RateLimitingQueue } from './rate-limiting-queue.js';

export interface ReconcileResult {
  /** Look again after this long even if nothing changes (a timer the object itself implies). */
  requeueAfterMs?: number;
}

export type ReconcileFn = (key: string) => Promise<ReconcileResult | void>;

export interface ControllerOptions {
  workers?: number;
  /** Failures are retried; this only hears about them (logs, UI). context is "<name> <key>". */
  onError?: (err: unknown, context: string, key: string) => void;
  /**
   * How many times a key is retried with backoff before it waits for the next change (client-go
   * uses ~15). Node agents pass Infinity: nothing else would bring their key back.
   */
  maxRetries?: number;
  /** How long a failing key waits (default: client-go's DefaultControllerRateLimiter). */
  rateLimiter?: RateLimiter;
}

export class QueueWorker {
  readonly queue: RateLimitingQueue;
  private running = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(
    readonly name: string,
    clock: Clock,
    private readonly reconcile: ReconcileFn,
    private readonly opts: ControllerOptions = {},
  ) {
    this.queue = new RateLimitingQueue(clock, opts.rateLimiter);
  }

  enqueue(obj: KubeObject): void {
    this.queue.add(objectKey(obj));
  }

  enqueueKey(key: string): void {
    this.queue.add(key);
  }

  enqueueAfter(key: string, ms: number): void {
    this.queue.addAfter(key, ms);
  }

  /** Starts the workers; the disposer shuts the queue down (in-flight reconciles finish). */
  run(): Disposer {
    for (let i = 0; i < (this.opts.workers ?? 2); i++) void this.worker();
    return () => this.queue.shutDown();
  }

  /** True when nothing is queued or being reconciled (keys waiting out a delay do not count). */
  idle(): boolean {
    return this.running === 0 && this.queue.length() === 0;
  }

  /** Resolves once idle() holds (tests wait on it instead of sleeping). */
  whenIdle(): Promise<void> {
    if (this.idle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async worker(): Promise<void> {
    for (;;) {
      const item = await this.queue.get();
      if (item.shutdown) return;
      this.running++;
      try {
        const r = await this.reconcile(item.key);
        this.queue.forget(item.key);
        if (r && r.requeueAfterMs !== undefined) this.queue.addAfter(item.key, r.requeueAfterMs);
      } catch (err) {
        if (this.opts.onError) this.opts.onError(err, `${this.name} ${item.key}`, item.key);
        else console.error(`${this.name}: ${item.key}: ${describeError(err)}`);
        if (this.queue.numRequeues(item.key) < (this.opts.maxRetries ?? 15)) this.queue.addRateLimited(item.key);
        else this.queue.forget(item.key);
      } finally {
        this.queue.done(item.key);
        this.running--;
        if (this.idle()) for (const w of this.idleWaiters.splice(0)) w();
      }
    }
  }
}
