// The lab screen's guide: the chosen lab's steps in a wide pane, the current one open, done ones
// checked off as their checks pass (re-run quietly while a step is open), hints on request, solve
// after a confirmation, progress kept on the server per lab (common/learner-contract.ts), and the
// step's terminals opened and focused for it. Buttons that cannot work yet are disabled and say why.
// One step's DOM is guide-step.ts.
import type { LabGuide, LabSummary } from '../common/guide-contract.js';
import type { LabActivity, LabProgress, LearnerState } from '../common/learner-contract.js';
import { clampProgress, freshProgress, markDone, withHint } from '../common/lab-progress.js';
import type { ShowTarget } from '../common/show-link.js';
import type { ActivityBar } from './activity-bar.js';
import type { ApiClient } from './api-client.js';
import { h } from './dom.js';
import { renderStep, showOutcome } from './guide-step.js';
import { renderMarkdown } from './lab-markdown.js';
import { recordControls } from './record-controls.js';
import { StepChecker } from './step-checker.js';
import type { TerminalTabs } from './terminal-tabs.js';

export interface GuideDeps {
  api: ApiClient;
  activity: ActivityBar;
  terminals: TerminalTabs;
  /** The lab screen's guide pane, and the list of labs on the overview. */
  pane: HTMLElement;
  labList: HTMLElement;
  confirm: (title: string, text: string, ok: string) => Promise<boolean>;
  show: (target: ShowTarget) => void;
  /** The lab screen opened (a lab id) or closed (null). */
  onMode: (lab: string | null) => void;
  onError: (m: string) => void;
  checkIntervalMs: number;
}

export class GuidePanel {
  private labs: LabSummary[] = [];
  private lab: LabGuide | undefined;
  private progress: LabProgress = freshProgress();
  private state: LearnerState | undefined;
  private namespaces = new Set<string>();
  private prefix = 'kw-';
  private openStep: number | undefined;
  private readonly checker: StepChecker;
  private status: HTMLElement = h('span');

  constructor(private readonly d: GuideDeps) {
    this.checker = new StepChecker({
      intervalMs: d.checkIntervalMs,
      check: async (step) => this.lab !== undefined && (await d.api.call('guide.check', { id: this.lab.id, step })).ok,
      onPass: (step) => this.passed(step),
      canCheck: () => this.ready() && !d.activity.activity && !document.hidden,
    });
    d.activity.onChange((a) => this.onActivity(a));
  }

  setPrefix(prefix: string): void {
    this.prefix = prefix;
  }

  /** The namespaces that exist now (from the topology): what decides whether buttons can work. */
  setNamespaces(names: string[]): void {
    const wasReady = this.ready();
    this.namespaces = new Set(names);
    this.updateAvailability();
    if (!wasReady && this.ready() && this.openStep !== undefined) this.openTerminalsFor(this.openStep);
  }

  async load(): Promise<void> {
    try {
      [this.labs, this.state] = await Promise.all([
        this.d.api.call('guide.list', {}),
        this.d.api.call('learner.get', {}),
      ]);
    } catch (err) {
      this.d.labList.replaceChildren(h('p', { class: 'muted' }, String(err)));
      return;
    }
    this.renderLabList();
    if (this.state.selectedLab && this.labs.some((l) => l.id === this.state!.selectedLab))
      await this.open(this.state.selectedLab, false);
  }

  private renderLabList(): void {
    this.d.labList.replaceChildren(
      ...(this.labs.length ? [] : [h('p', { class: 'muted' }, 'No guided labs.')]),
      ...this.labs.map((l) => {
        const p = clampProgress(this.state?.labs[l.id], l.steps);
        const b = h(
          'button',
          { class: 'lab-card', 'data-lab': l.id },
          h('strong', {}, l.title),
          h('span', { class: 'muted small' }, `${l.steps} steps${p.done.length ? ` · ${p.done.length} done` : ''}`),
        );
        b.addEventListener('click', () => void this.open(l.id));
        return b;
      }),
    );
  }

  async open(id: string, remember = true): Promise<void> {
    try {
      this.lab = await this.d.api.call('guide.show', { id });
      this.progress = clampProgress(this.state?.labs[id], this.lab.steps);
      if (remember) this.state = await this.d.api.call('learner.prefs', { selectedLab: id });
    } catch (err) {
      this.d.onError(String(err));
      return;
    }
    this.d.onMode(id);
    this.render();
    this.openStepPane(this.progress.current, true);
  }

  async leave(): Promise<void> {
    this.checker.stop();
    this.lab = undefined;
    this.d.onMode(null);
    try {
      this.state = await this.d.api.call('learner.prefs', { selectedLab: null });
    } catch (err) {
      this.d.onError(String(err));
    }
    this.renderLabList();
  }

  /** The lab's fixed terminals (those a step does not create) all exist. */
  private ready(): boolean {
    return (
      !!this.lab && this.lab.terminals.filter((t) => !t.opensAfterStep).every((t) => this.namespaces.has(t.namespace))
    );
  }

  private render(): void {
    const lab = this.lab!;
    const back = h('button', { class: 'small', id: 'guide-leave', 'aria-label': 'Back to all labs' }, '← Labs');
    back.addEventListener('click', () => void this.leave());
    const start = h('button', { class: 'primary', id: 'guide-start', 'data-needs': 'idle' }, 'Start lab');
    start.addEventListener('click', () => void this.start());
    const replay = h(
      'button',
      { id: 'guide-replay', 'data-needs': 'idle', title: 'Fresh lab, then solve and check every step' },
      'Replay all',
    );
    replay.addEventListener('click', () => void this.replay());
    const over = h(
      'button',
      { id: 'guide-start-over', 'data-needs': 'idle', title: 'Forget which steps are done and rebuild the lab' },
      'Start over',
    );
    over.addEventListener('click', () => void this.startOver());
    this.status = h('span', { class: 'guide-status', role: 'status', 'aria-live': 'polite' });
    const why = h('p', { class: 'guide-why', id: 'guide-why' });
    const steps = lab.stepList.map((s) =>
      renderStep(s, {
        hintShown: this.progress.hints.includes(s.number),
        md: (text) => this.md(text),
        toggle: (n) => this.openStepPane(n, !this.stepEl(n)?.classList.contains('open')),
        check: (n, result) => void this.check(n, result),
        solve: (n, result) => void this.solve(n, result),
        hintRevealed: (n) => this.save(withHint(this.progress, n)),
      }),
    );
    this.d.pane.replaceChildren(
      h(
        'div',
        { class: 'guide-head' },
        back,
        h('h2', { id: 'guide-title' }, lab.title),
        h('span', { class: 'guide-count muted', id: 'guide-count' }),
      ),
      h(
        'div',
        { class: 'guide-scroll' },
        h('p', { class: 'guide-summary' }, lab.summary),
        h('div', { class: 'guide-actions' }, start, replay, over, this.status),
        why,
        h('ol', { class: 'steps', 'aria-label': 'steps' }, ...steps),
        recordControls({ api: this.d.api, labId: lab.id, onError: this.d.onError, onSaved: () => this.load() }),
      ),
    );
    this.updateMarks();
    this.updateAvailability();
  }

  private md(text: string): HTMLElement[] {
    return renderMarkdown(text, {
      prefix: this.prefix,
      show: this.d.show,
      copy: (t) => navigator.clipboard.writeText(t),
      runButton: (terminal, lines) => {
        const target = this.lab!.terminals.find((t) => t.name === terminal);
        if (!target) return undefined;
        const run = h(
          'button',
          {
            class: 'small guide-run',
            'data-run': terminal,
            'data-needs': `ns:${target.namespace}`,
            'aria-label': `Run these commands in the ${terminal} terminal`,
          },
          `▶ Run in ${terminal}`,
        );
        run.addEventListener('click', () => {
          this.d.terminals
            .runIn(target.namespace, lines, this.lab!.id)
            .catch((err: unknown) => this.d.onError(String(err)));
        });
        return run;
      },
    });
  }

  private stepEl(n: number): HTMLElement | null {
    return this.d.pane.querySelector<HTMLElement>(`.step[data-step="${n}"]`);
  }

  /** Opens (or closes) one step; an open step that is not done is checked quietly, and gets its terminals. */
  private openStepPane(n: number, open: boolean): void {
    const el = this.stepEl(n);
    if (!el) return;
    el.classList.toggle('open', open);
    el.querySelector('.step-head')!.setAttribute('aria-expanded', String(open));
    (el.querySelector('.step-body') as HTMLElement).hidden = !open;
    if (open) {
      this.openStep = n;
      if (!this.progress.done.includes(n)) this.checker.watch(n);
      if (this.ready()) this.openTerminalsFor(n);
    } else if (this.openStep === n) {
      this.openStep = undefined;
      this.checker.watch(undefined);
    }
  }

  /** The terminals a step's commands go to: opened (one per namespace) and the first focused. */
  private openTerminalsFor(n: number): void {
    const s = this.lab?.stepList.find((x) => x.number === n);
    if (!s || this.d.activity.activity) return;
    const names = [...new Set(s.commands.map((c) => c.terminal))];
    const targets = names
      .map((name) => this.lab!.terminals.find((t) => t.name === name))
      .filter((t) => t && this.namespaces.has(t.namespace));
    const first = targets[0];
    if (!first) return;
    this.d.terminals.ensure(first.namespace, this.lab!.id).catch((err: unknown) => this.d.onError(String(err)));
  }

  private passed(n: number): void {
    if (!this.lab || this.progress.done.includes(n)) return;
    const before = this.progress.current;
    this.save(markDone(this.progress, n, this.lab.steps));
    this.updateMarks();
    if (this.progress.current !== before && this.progress.current !== n) {
      this.openStepPane(n, false);
      this.openStepPane(this.progress.current, true);
    } else if (this.openStep === n) this.checker.watch(undefined);
  }

  private save(p: LabProgress): void {
    this.progress = p;
    const lab = this.lab;
    if (!lab) return;
    if (this.state) this.state.labs[lab.id] = p;
    this.d.api
      .call('learner.progress', { lab: lab.id, progress: p })
      .catch((err: unknown) => this.d.onError(`progress not saved: ${String(err)}`));
  }

  private updateMarks(): void {
    const lab = this.lab;
    if (!lab) return;
    for (const s of lab.stepList) {
      const el = this.stepEl(s.number);
      if (!el) continue;
      const done = this.progress.done.includes(s.number);
      el.classList.toggle('done', done);
      el.classList.toggle('current', this.progress.current === s.number);
      el.querySelector('.step-mark')!.textContent = done ? '✓' : String(s.number);
      el.querySelector('.step-sr')!.textContent = done
        ? ' (done)'
        : this.progress.current === s.number
          ? ' (current step)'
          : '';
    }
    const count = this.d.pane.querySelector('#guide-count');
    if (count) count.textContent = `${this.progress.done.length} of ${lab.steps} done`;
  }

  private onActivity(a: LabActivity | null): void {
    this.updateAvailability();
    if (a) this.status.textContent = '';
    // Built: the open step's terminal can open now (it could not while the lab was half there).
    else if (this.ready() && this.openStep !== undefined) this.openTerminalsFor(this.openStep);
  }

  /** Disables what cannot work now and says why (the lab starting, or not started yet). */
  private updateAvailability(): void {
    if (!this.lab) return;
    const a = this.d.activity.activity;
    const busy = a
      ? `The lab ${a.lab} is ${a.action === 'start' ? 'starting' : 'replaying'}; wait until it is ready.`
      : undefined;
    const notUp = this.ready() ? undefined : 'The lab is not running: press Start lab to build it.';
    for (const el of this.d.pane.querySelectorAll<HTMLButtonElement>('[data-needs]')) {
      const need = el.dataset.needs!;
      let why: string | undefined = busy;
      if (!why && need === 'ready') why = notUp;
      if (!why && need.startsWith('ns:') && !this.namespaces.has(need.slice(3))) {
        const t = this.lab.terminals.find((x) => x.namespace === need.slice(3));
        why =
          t?.opensAfterStep && !notUp
            ? `The ${t.name} terminal opens once step ${t.opensAfterStep} made its namespace.`
            : (notUp ?? 'Its namespace does not exist.');
      }
      el.disabled = !!why;
      el.title = why ?? el.getAttribute('aria-label') ?? '';
      if (why) el.setAttribute('data-why', why);
      else el.removeAttribute('data-why');
    }
    const start = this.d.pane.querySelector<HTMLButtonElement>('#guide-start');
    if (start) start.textContent = this.ready() ? 'Reset lab' : 'Start lab';
    const why = this.d.pane.querySelector('#guide-why');
    if (why) why.textContent = busy ?? notUp ?? '';
    for (const p of this.d.pane.querySelectorAll<HTMLElement>('.step-why')) p.textContent = busy ?? notUp ?? '';
  }

  async start(): Promise<void> {
    const lab = this.lab!;
    try {
      const r = await this.d.activity.follow(this.d.api.call('guide.start', { id: lab.id }));
      // Terminal targets resolve against the namespaces that exist now.
      this.lab = await this.d.api.call('guide.show', { id: lab.id });
      this.status.textContent = `ready in ${(r.ms / 1000).toFixed(1)} s`;
      this.updateAvailability();
    } catch (err) {
      this.status.textContent = 'start failed';
      this.d.onError(String(err));
    }
  }

  private async startOver(): Promise<void> {
    if (
      !(await this.d.confirm(
        'Start over?',
        'This forgets which steps you finished and rebuilds the lab from scratch.',
        'Start over',
      ))
    )
      return;
    this.save(freshProgress());
    for (const el of this.d.pane.querySelectorAll<HTMLElement>('.guide-hint')) el.hidden = true;
    for (const el of this.d.pane.querySelectorAll<HTMLElement>('.guide-result')) el.replaceChildren();
    this.updateMarks();
    for (const s of this.lab!.stepList) this.openStepPane(s.number, s.number === 1);
    await this.start();
  }

  private async replay(): Promise<void> {
    const lab = this.lab!;
    if (
      !(await this.d.confirm(
        'Replay the whole lab?',
        'This rebuilds the lab, then solves and checks every step in order.',
        'Replay',
      ))
    )
      return;
    try {
      const reports = await this.d.activity.follow(this.d.api.call('guide.replay', { id: lab.id }));
      for (const r of reports) {
        const el = this.d.pane.querySelector<HTMLElement>(`[data-step-result="${r.step}"]`);
        if (el) showOutcome(el, { ok: r.passed, failures: r.failures, output: '', durationMs: 0 });
        if (r.passed) this.passed(r.step);
      }
      const bad = reports.find((r) => !r.passed);
      this.status.textContent = bad ? `replay stopped at step ${bad.step}` : `replayed ${reports.length} steps`;
    } catch (err) {
      this.d.onError(String(err));
    }
  }

  private async check(n: number, el: HTMLElement): Promise<void> {
    el.replaceChildren(h('span', { class: 'muted' }, 'checking…'));
    try {
      const r = await this.d.api.call('guide.check', { id: this.lab!.id, step: n });
      showOutcome(el, r);
      if (r.ok) this.passed(n);
    } catch (err) {
      el.replaceChildren();
      this.d.onError(String(err));
    }
  }

  private async solve(n: number, el: HTMLElement): Promise<void> {
    if (
      !(await this.d.confirm(
        `Solve step ${n}?`,
        'kubewire runs this step\u2019s commands for you, then checks it. You learn more by typing them yourself.',
        'Solve it',
      ))
    )
      return;
    el.replaceChildren(h('span', { class: 'muted' }, 'solving…'));
    try {
      const r = await this.d.api.call('guide.solve', { id: this.lab!.id, step: n });
      showOutcome(el, r.check ?? r.solve);
      if (r.check?.ok) this.passed(n);
    } catch (err) {
      el.replaceChildren();
      this.d.onError(String(err));
    }
  }
}
