// A work queue whose keys can be added after a delay (client-go's DelayingInterface). A key waiting
// twice keeps the earlier of its two ready times. Time comes from the injected clock.
import type { Clock } from '../clock.js';
import { WorkQueue } from './queue.js';

export class DelayingQueue extends WorkQueue {
  private readonly waiting = new Map<string, { readyAt: number; cancel: () => void }>();

  constructor(protected readonly clock: Clock) {
    super();
  }

  addAfter(key: string, delayMs: number): void {
    if (this.isShuttingDown()) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const readyAt = this.clock.now() + delayMs;
    const prev = this.waiting.get(key);
    if (prev) {
      if (prev.readyAt <= readyAt) return;
      prev.cancel();
    }
    const cancel = this.clock.setTimer(() => {
      this.waiting.delete(key);
      this.add(key);
    }, delayMs);
    this.waiting.set(key, { readyAt, cancel });
  }

  /** Keys waiting for their delay to pass. */
  delayed(): number {
    return this.waiting.size;
  }

  override shutDown(): void {
    for (const w of this.waiting.values()) w.cancel();
    this.waiting.clear();
    super.shutDown();
  }
}
