// Bounded parallelism: the machine has few cores and every helper is a process, so nodes and pods
// are brought up a few at a time rather than all at once or one by one.
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const errors: unknown[] = [];
  const worker = async () => {
    while (next < items.length && errors.length === 0) {
      const i = next++;
      try {
        out[i] = await fn(items[i]!, i);
      } catch (err) {
        errors.push(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (errors.length) throw errors[0];
  return out;
}

/** Times named phases of an operation (the bench prints them). */
export interface PhaseEvent {
  name: string;
  event: 'start' | 'done';
  /** Time spent in the phase (0 at its start). */
  ms: number;
}

export class PhaseTimer {
  readonly phases: { name: string; ms: number }[] = [];
  private readonly t0 = performance.now();

  /** `onPhase` hears each phase as it starts and ends (the UI's progress bar shows them live). */
  constructor(private readonly onPhase?: (e: PhaseEvent) => void) {}

  async run<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const t = performance.now();
    this.onPhase?.({ name, event: 'start', ms: 0 });
    try {
      return await fn();
    } finally {
      const ms = performance.now() - t;
      this.phases.push({ name, ms });
      this.onPhase?.({ name, event: 'done', ms });
    }
  }

  get totalMs(): number {
    return performance.now() - this.t0;
  }
}
