// Checks re-run quietly while a step is open (as iximiuz Labs does): every few seconds, one check
// at a time, only while the page is visible and the lab is ready. A pass is reported; a failure
// is not shown (the learner has not asked), so the pane does not flicker.
export class StepChecker {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private step: number | undefined;
  private running = false;

  constructor(
    private readonly d: {
      intervalMs: number;
      check: (step: number) => Promise<boolean>;
      onPass: (step: number) => void;
      /** Whether checking makes sense now (lab up, not starting, page visible). */
      canCheck: () => boolean;
    },
  ) {}

  /** Watches this step (undefined: none). */
  watch(step: number | undefined): void {
    if (step === this.step) return;
    this.step = step;
    this.schedule(Math.min(1500, this.d.intervalMs));
  }

  stop(): void {
    this.step = undefined;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = this.step === undefined ? undefined : setTimeout(() => void this.tick(), ms);
  }

  private async tick(): Promise<void> {
    const step = this.step;
    if (step === undefined) return;
    if (this.running || !this.d.canCheck()) return this.schedule(this.d.intervalMs);
    this.running = true;
    try {
      if ((await this.d.check(step)) && this.step === step) this.d.onPass(step);
    } catch {
      // Quiet: the next tick tries again; a manual Check shows errors.
    } finally {
      this.running = false;
    }
    this.schedule(this.d.intervalMs);
  }
}
