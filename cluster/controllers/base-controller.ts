// The shape of every controller here (client-go's sample-controller): informer handlers put keys in
// a rate-limited work queue; workers take a key and run an idempotent reconcile(key) that reads the
// caches and writes through the API; a failure requeues the key with backoff, success forgets it.
import type { Clock } from '../client/clock.js';
import type { Disposer } from '../client/rest-client.js';
import type { KubeObject } from '../../common/api-types.js';
import { objectKey } from '../client/indexer.js';
import { RateLimitingQueue } from '../client/workqueue/rate-limiting-queue.js';
import { describeError } from '../../common/errors.js';

export interface ReconcileResult {
  /** Look again after this long even if nothing changes (a timer the object itself implies). */
  requeueAfterMs?: number;
}

export type ReconcileFn = (key: string) => Promise<ReconcileResult | void>;

export interface ControllerOptions {
  workers?: number;
  /** Failures are retried; this only hears about them (logs, UI). */
  onError?: (err: unknown, context: string) => void;
  /** How many times a key is retried with backoff before it waits for the next change (client-go uses ~15). */
  maxRetries?: number;
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
    this.queue = new RateLimitingQueue(clock);
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

  /** True when nothing is queued or being reconciled (tests and benches wait on it). */
  idle(): boolean {
    return this.running === 0 && this.queue.length() === 0;
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
        if (this.opts.onError) this.opts.onError(err, `${this.name} ${item.key}`);
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

/** A running controller as the manager sees it. */
export interface Controller {
  readonly name: string;
  /** Registers informer handlers and starts workers; the disposer undoes both. */
  start(): Disposer;
}
