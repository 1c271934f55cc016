// Progress for anything slower than half a second: the indicator appears only if the work is
// still running after 500 ms, so quick actions do not flicker.
export class ProgressIndicator {
  private readonly running = new Map<number, string>();
  private seq = 0;

  constructor(
    private readonly el: HTMLElement,
    private readonly delayMs = 500,
  ) {
    this.render();
  }

  async track<T>(label: string, work: Promise<T>): Promise<T> {
    const id = ++this.seq;
    const timer = setTimeout(() => {
      this.running.set(id, label);
      this.render();
    }, this.delayMs);
    try {
      return await work;
    } finally {
      clearTimeout(timer);
      if (this.running.delete(id)) this.render();
    }
  }

  private render(): void {
    const labels = [...this.running.values()];
    this.el.hidden = labels.length === 0;
    this.el.textContent = labels.length ? `${labels.join(', ')}…` : '';
    this.el.setAttribute('aria-busy', labels.length ? 'true' : 'false');
  }
}
