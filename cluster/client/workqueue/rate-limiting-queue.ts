// The queue a controller uses: delaying queue + per-key backoff. A failed reconcile calls
// addRateLimited(key); a successful one calls forget(key) so the next failure starts small.
import type { Clock } from '../clock.js';
import { DelayingQueue } from './delaying-queue.js';
import { defaultControllerRateLimiter, type RateLimiter } from './rate-limiter.js';

export class RateLimitingQueue extends DelayingQueue {
  private readonly limiter: RateLimiter;

  constructor(clock: Clock, limiter?: RateLimiter) {
    super(clock);
    this.limiter = limiter ?? defaultControllerRateLimiter(clock);
  }

  addRateLimited(key: string): void {
    this.addAfter(key, this.limiter.when(key));
  }

  forget(key: string): void {
    this.limiter.forget(key);
  }

  numRequeues(key: string): number {
    return this.limiter.numRequeues(key);
  }
}
