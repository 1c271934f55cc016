// What the guide is doing now — a lab starting or replaying — phase by phase, for the page's
// progress bar. One at a time: a second start while one runs would reset the lab under it.
import type { LabActivity } from '../../common/learner-contract.js';
import type { PhaseEvent } from '../../runtime/concurrency.js';
import { GuideUnavailable } from './guide-service-errors.js';

export class GuideActivity {
  private current: (LabActivity & { startedAt: number }) | null = null;

  constructor(private readonly now: () => number) {}

  /** Runs `work` as the one activity; refuses while another runs, saying which. */
  async run<T>(
    action: LabActivity['action'],
    lab: string,
    stepsTotal: number,
    work: (onPhase: (e: PhaseEvent) => void, onStep: () => void) => Promise<T>,
  ): Promise<T> {
    if (this.current)
      throw new GuideUnavailable(
        `lab ${this.current.lab} is ${this.current.action === 'start' ? 'starting' : 'replaying'}; wait for it to finish`,
      );
    const a = { action, lab, phases: [], stepsDone: 0, stepsTotal, elapsedMs: 0, startedAt: this.now() };
    this.current = a;
    const onPhase = (e: PhaseEvent): void => {
      const known = a.phases.find((p: LabActivity['phases'][number]) => p.name === e.name);
      const entry = { name: e.name, state: e.event === 'start' ? ('running' as const) : ('done' as const), ms: e.ms };
      if (known) Object.assign(known, entry);
      else (a.phases as LabActivity['phases']).push(entry);
    };
    try {
      return await work(onPhase, () => void a.stepsDone++);
    } finally {
      this.current = null;
    }
  }

  get(): LabActivity | null {
    if (!this.current) return null;
    const { startedAt, ...a } = this.current;
    return structuredClone({ ...a, elapsedMs: this.now() - startedAt });
  }
}
