// Honest waiting: while the guide starts or replays a lab, the top bar shows a progress bar with
// the phase being done (the runtime's own phases, polled from the server), and listeners hear
// when the lab is busy so the graph and the buttons that cannot work yet can say so.
import type { LabActivity } from '../common/learner-contract.js';
import { describeActivity } from '../common/activity-text.js';
import { AnswerOrder } from '../common/answer-order.js';

export { describeActivity };
import type { ApiClient } from './api-client.js';
import { h } from './dom.js';

export class ActivityBar {
  private current: LabActivity | null = null;
  private readonly listeners = new Set<(a: LabActivity | null) => void>();
  private readonly bar: HTMLElement;
  private readonly fill: HTMLElement;
  private readonly text: HTMLElement;
  private polling: ReturnType<typeof setInterval> | undefined;
  /** A poll sent before the work ended must not bring its activity back once it has ended. */
  private readonly answers = new AnswerOrder();

  constructor(private readonly d: { api: ApiClient; root: HTMLElement; intervalMs: number }) {
    this.fill = h('div', { class: 'activity-fill' });
    this.bar = h(
      'div',
      {
        class: 'activity-track',
        role: 'progressbar',
        'aria-valuemin': '0',
        'aria-valuemax': '100',
        'aria-valuenow': '0',
        'aria-label': 'lab progress',
      },
      this.fill,
    );
    this.text = h('span', { class: 'activity-text', id: 'activity-text' });
    d.root.replaceChildren(this.bar, this.text);
    d.root.hidden = true;
  }

  get activity(): LabActivity | null {
    return this.current;
  }

  onChange(l: (a: LabActivity | null) => void): void {
    this.listeners.add(l);
  }

  /** Polls the server's activity while `work` runs (and once at page load: a start may be under way). */
  async follow<T>(work: Promise<T>): Promise<T> {
    this.startPolling();
    try {
      return await work;
    } finally {
      this.answers.supersede();
      this.set(null);
      this.stopPolling();
    }
  }

  /** A start begun before this page loaded (another window, or before a reload) shows too. */
  async poll(): Promise<void> {
    const n = this.answers.next();
    try {
      const { activity } = await this.d.api.call('guide.activity', {});
      // Under load a poll can be answered after the start it asked about has finished (or after a
      // newer poll): applied, it would mark the lab busy again and wipe the "ready" status.
      if (!this.answers.accept(n)) return;
      this.set(activity);
      if (activity) this.startPolling();
      else this.stopPolling();
    } catch {
      // A failed poll leaves the bar as it was; the next one tries again.
    }
  }

  private startPolling(): void {
    if (this.polling) return;
    void this.poll();
    this.polling = setInterval(() => void this.poll(), this.d.intervalMs);
  }

  private stopPolling(): void {
    if (this.polling) clearInterval(this.polling);
    this.polling = undefined;
  }

  private set(a: LabActivity | null): void {
    const was = this.current;
    this.current = a;
    this.render();
    if ((was === null) !== (a === null) || (a && was && a.lab !== was.lab)) for (const l of this.listeners) l(a);
    else if (a) for (const l of this.listeners) l(a);
  }

  private render(): void {
    const a = this.current;
    this.d.root.hidden = !a;
    if (!a) return;
    const { fraction, label } = describeActivity(a);
    const pct = Math.round(fraction * 100);
    this.fill.style.width = `${pct}%`;
    this.bar.setAttribute('aria-valuenow', String(pct));
    this.bar.setAttribute('aria-valuetext', label);
    this.text.textContent = label;
  }
}
