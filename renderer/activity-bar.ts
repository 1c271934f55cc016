// Honest waiting: while the guide starts or replays a lab, the top bar shows a progress bar with
// the phase being done (the runtime's own phases, polled from the server), and listeners hear
// when the lab is busy so the graph and the buttons that cannot work yet can say so.
import { START_PHASES, type LabActivity } from '../common/learner-contract.js';
import type { ApiClient } from './api-client.js';
import { h } from './dom.js';

export class ActivityBar {
  private current: LabActivity | null = null;
  private readonly listeners = new Set<(a: LabActivity | null) => void>();
  private readonly bar: HTMLElement;
  private readonly fill: HTMLElement;
  private readonly text: HTMLElement;
  private polling: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly d: { api: ApiClient; root: HTMLElement; intervalMs: number }) {
    this.fill = h('div', { class: 'activity-fill' });
    this.bar = h('div', { class: 'activity-track', role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': '0', 'aria-label': 'lab progress' }, this.fill);
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
      this.set(null);
      this.stopPolling();
    }
  }

  /** A start begun before this page loaded (another window, or before a reload) shows too. */
  async poll(): Promise<void> {
    try {
      const { activity } = await this.d.api.call('guide.activity', {});
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

/** How far along, and what is being done, in words. Exported for the lab screen's graph overlay. */
export function describeActivity(a: LabActivity): { fraction: number; label: string } {
  const names = START_PHASES.map((p) => p.name);
  const done = a.phases.filter((p) => p.state === 'done' && names.includes(p.name)).length;
  const running = a.phases.filter((p) => p.state === 'running');
  const now = running.map((p) => START_PHASES.find((s) => s.name === p.name)?.label ?? p.name);
  const verb = a.action === 'start' ? 'Starting' : 'Replaying';
  const secs = `${(a.elapsedMs / 1000).toFixed(0)} s`;
  const startFraction = Math.min(1, (done + running.length * 0.5) / names.length);
  if (a.action === 'replay' && a.stepsTotal > 0 && a.phases.some((p) => p.name === 'cluster' && p.state === 'done')) {
    const fraction = 0.5 + (0.5 * a.stepsDone) / a.stepsTotal;
    return { fraction, label: `${verb} ${a.lab}: step ${Math.min(a.stepsDone + 1, a.stepsTotal)} of ${a.stepsTotal} (solve, then check) · ${secs}` };
  }
  const fraction = a.action === 'replay' ? startFraction / 2 : startFraction;
  const step = `${Math.min(done + 1, names.length)}/${names.length}`;
  return { fraction, label: `${verb} ${a.lab}: ${now.length ? now.join(' + ') : 'waiting for kubewire'} (${step}) · ${secs}` };
}
