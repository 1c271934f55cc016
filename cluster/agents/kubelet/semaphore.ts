// A counting semaphore: at most N pod syncs at once on a node (each spawns helper processes).
export class Semaphore {
  private waiting: (() => void)[] = [];
  private inUse = 0;

  constructor(private readonly size: number) {}

  async acquire(): Promise<() => void> {
    if (this.inUse >= this.size) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.inUse++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.inUse--;
    };
  }
}
