// A keyed work queue with client-go's util/workqueue semantics: adding a key already waiting merges
// with it; a key being processed is never handed to a second worker; a key added while it was
// being processed is queued again once done() is called for it.

export interface QueueItem {
  key: string;
  /** True when the queue was shut down and nothing more will come: the worker should exit. */
  shutdown: boolean;
}

export class WorkQueue {
  private readonly queue: string[] = [];
  private head = 0;
  /** Keys that need processing (waiting in queue, or re-added while processing). */
  private readonly dirty = new Set<string>();
  /** Keys handed to a worker and not yet done(). */
  private readonly processing = new Set<string>();
  private readonly waiters: ((item: QueueItem) => void)[] = [];
  private shuttingDown = false;
  private drainWaiters: (() => void)[] = [];

  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    this.queue.push(key);
    this.wake();
  }

  /** Waits for the next key. Each key got must be given back with done(key). */
  get(): Promise<QueueItem> {
    if (this.length() > 0) return Promise.resolve({ key: this.take(), shutdown: false });
    if (this.shuttingDown) return Promise.resolve({ key: '', shutdown: true });
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Marks key processed; if it was added meanwhile it goes back in the queue now. */
  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.has(key)) {
      this.queue.push(key);
      this.wake();
    }
    if (this.processing.size === 0) {
      for (const w of this.drainWaiters.splice(0)) w();
    }
  }

  /** Keys waiting (not counting those being processed). */
  length(): number {
    return this.queue.length - this.head;
  }

  isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** Stops accepting keys; waiting get() calls resolve with shutdown=true once the queue is empty. */
  shutDown(): void {
    this.shuttingDown = true;
    this.wake();
    for (const w of this.waiters.splice(0)) w({ key: '', shutdown: true });
  }

  /** shutDown, then resolves when every key handed out has been done(). */
  shutDownWithDrain(): Promise<void> {
    this.shutDown();
    if (this.processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  private take(): string {
    const key = this.queue[this.head++]!;
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    this.processing.add(key);
    this.dirty.delete(key);
    return key;
  }

  private wake(): void {
    while (this.waiters.length > 0 && this.length() > 0) {
      this.waiters.shift()!({ key: this.take(), shutdown: false });
    }
  }
}
