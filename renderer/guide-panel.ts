// The lab guide: pick a lab, start it (reset + fresh topology), read each step, send its commands
// to the right terminal with one click, and check or solve it (labs/README.md's format).
import type { LabGuide, StepOutcome } from '../common/guide-contract.js';
import type { ApiClient } from './api-client.js';
import { h } from './dom.js';
import type { ProgressIndicator } from './progress.js';
import type { TerminalTabs } from './terminal-tabs.js';

export class GuidePanel {
  private lab: LabGuide | undefined;
  private readonly picker: HTMLSelectElement;
  private readonly body: HTMLElement;

  constructor(private readonly d: { api: ApiClient; progress: ProgressIndicator; root: HTMLElement; terminals: TerminalTabs; onError: (m: string) => void }) {
    this.picker = h('select', { class: 'small', id: 'guide-lab', 'aria-label': 'lab' });
    this.picker.addEventListener('change', () => void this.open(this.picker.value));
    this.body = h('div', { id: 'guide-body' });
    d.root.replaceChildren(this.picker, this.body);
  }

  async load(): Promise<void> {
    try {
      const labs = await this.d.api.call('guide.list', {});
      this.picker.replaceChildren(h('option', { value: '' }, labs.length ? 'Choose a lab…' : 'No guided labs'), ...labs.map((l) => h('option', { value: l.id }, `${l.title} (${l.steps} steps)`)));
    } catch (err) {
      this.body.replaceChildren(h('p', { class: 'muted' }, String(err)));
    }
  }

  async open(id: string): Promise<void> {
    if (!id) return this.body.replaceChildren();
    try {
      this.lab = await this.d.progress.track('Loading the lab', this.d.api.call('guide.show', { id }));
      this.render();
    } catch (err) {
      this.d.onError(String(err));
    }
  }

  private render(): void {
    const lab = this.lab!;
    const start = h('button', { class: 'primary small', id: 'guide-start', title: 'Reset the lab and bring its topology up fresh' }, 'Start / reset');
    const status = h('div', { class: 'guide-status muted small' });
    start.addEventListener('click', () => {
      status.textContent = 'starting…';
      this.d.progress
        .track(`Starting lab ${lab.id} (reset, then up)`, this.d.api.call('guide.start', { id: lab.id }))
        .then(async (r) => {
          // Terminal targets resolve against the namespaces that exist now.
          this.lab = await this.d.api.call('guide.show', { id: lab.id });
          this.render();
          this.body.querySelector('.guide-status')!.textContent = `ready in ${(r.ms / 1000).toFixed(1)} s`;
        })
        .catch((err: unknown) => {
          status.textContent = '';
          this.d.onError(String(err));
        });
    });
    const replay = h('button', { class: 'small', id: 'guide-replay', title: 'Fresh topology, then solve and check every step' }, 'Replay');
    replay.addEventListener('click', () => {
      status.textContent = 'replaying…';
      this.d.progress
        .track(`Replaying lab ${lab.id}`, this.d.api.call('guide.replay', { id: lab.id }))
        .then((reports) => {
          for (const r of reports) {
            const el = this.body.querySelector<HTMLElement>(`[data-step-result="${r.step}"]`);
            if (el) show(el, { ok: r.passed, failures: r.failures, output: '', durationMs: 0 });
          }
          const bad = reports.find((r) => !r.passed);
          status.textContent = bad ? `replay stopped at step ${bad.step}` : `replayed ${reports.length} steps`;
        })
        .catch((err: unknown) => {
          status.textContent = '';
          this.d.onError(String(err));
        });
    });
    this.body.replaceChildren(
      h('p', { class: 'guide-summary' }, lab.summary),
      h('div', { class: 'guide-actions' }, start, replay, status),
      this.recordControls(lab.id),
      ...lab.stepList.map((s) => {
        const result = h('div', { class: 'guide-result', 'data-step-result': String(s.number) });
        const check = h('button', { class: 'small', 'data-check': String(s.number) }, 'Check');
        const solve = h('button', { class: 'small', 'data-solve': String(s.number), title: 'Do this step for me' }, 'Solve');
        check.addEventListener('click', () => void this.check(s.number, result));
        solve.addEventListener('click', () => void this.solve(s.number, result));
        const box = h('details', { class: 'guide-step', 'data-step': String(s.number) }, h('summary', {}, `${s.number}. ${s.title}`), ...this.markdown(s.text), ...(s.hint ? [h('details', { class: 'guide-hint' }, h('summary', {}, 'Hint'), ...this.markdown(s.hint))] : []), h('div', { class: 'guide-actions' }, check, solve), result);
        return box;
      }),
    );
  }

  /** Record / Stop / Save as lab…: the commands typed in terminals become a new lab (labs/recorded-<id>). */
  private recordControls(labId: string): HTMLElement {
    const record = h('button', { class: 'small', id: 'guide-record', title: 'Record the commands typed in terminals' }, 'Record');
    const stop = h('button', { class: 'small', id: 'guide-record-stop' }, 'Stop');
    const title = h('input', { class: 'small', id: 'guide-record-title', placeholder: 'title', 'aria-label': 'recorded lab title' });
    const id = h('input', { class: 'small', id: 'guide-record-id', placeholder: 'id (a-z0-9-)', 'aria-label': 'recorded lab id' });
    const save = h('button', { class: 'small', id: 'guide-record-save', title: 'Write labs/recorded-<id>/' }, 'Save as lab…');
    const state = h('span', { class: 'muted small' });
    const show = (r: { recording: boolean; commands: unknown[] }): void => {
      state.textContent = `${r.recording ? 'recording' : 'stopped'}: ${r.commands.length} commands`;
    };
    const fail = (err: unknown): void => this.d.onError(String(err));
    record.addEventListener('click', () => void this.d.api.call('guide.record.start', { id: labId }).then(show, fail));
    stop.addEventListener('click', () => void this.d.api.call('guide.record.stop', {}).then(show, fail));
    save.addEventListener('click', () => {
      this.d.api
        .call('guide.record.save', { id: (id as HTMLInputElement).value.trim(), title: (title as HTMLInputElement).value.trim() })
        .then(async (r) => {
          state.textContent = `saved as ${r.id}`;
          await this.load();
        }, fail);
    });
    return h('div', { class: 'guide-actions guide-record' }, record, stop, title, id, save, state);
  }

  /** Just enough Markdown: headings, paragraphs, `code`, and fenced blocks with a Run button. */
  private markdown(text: string): HTMLElement[] {
    const out: HTMLElement[] = [];
    const lines = text.split('\n');
    let para: string[] = [];
    const flush = (): void => {
      if (para.length) out.push(h('p', {}, ...inline(para.join(' '))));
      para = [];
    };
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      const fence = /^```(\w+)?\s*(\S+)?\s*$/.exec(line);
      if (fence) {
        flush();
        const body: string[] = [];
        for (i++; i < lines.length && !lines[i]!.startsWith('```'); i++) body.push(lines[i]!);
        const terminal = fence[2];
        const pre = h('pre', { class: 'guide-code' }, body.join('\n'));
        const target = terminal ? this.lab!.terminals.find((t) => t.name === terminal) : undefined;
        if (target) {
          const run = h('button', { class: 'small guide-run', 'data-run': terminal!, title: `Type these in the ${terminal} terminal (${target.namespace})` }, `▶ run in ${terminal}`);
          run.addEventListener('click', () => {
            const cmds = body.filter((l) => l.trim() !== '');
            this.d.progress.track(`Sending to ${terminal}`, this.d.terminals.runIn(target.namespace, cmds, this.lab!.id)).catch((err: unknown) => this.d.onError(String(err)));
          });
          out.push(h('div', { class: 'guide-block' }, run, pre));
        } else out.push(pre);
        continue;
      }
      const head = /^(#{1,4})\s+(.*)$/.exec(line);
      if (head) {
        flush();
        out.push(h('h5', {}, head[2]!));
      } else if (line.trim() === '') flush();
      else para.push(line.trim());
    }
    flush();
    return out;
  }

  private async check(step: number, el: HTMLElement): Promise<void> {
    try {
      show(el, await this.d.progress.track(`Checking step ${step}`, this.d.api.call('guide.check', { id: this.lab!.id, step })));
    } catch (err) {
      this.d.onError(String(err));
    }
  }

  private async solve(step: number, el: HTMLElement): Promise<void> {
    try {
      const r = await this.d.progress.track(`Solving step ${step}`, this.d.api.call('guide.solve', { id: this.lab!.id, step }));
      show(el, r.check ?? r.solve);
    } catch (err) {
      this.d.onError(String(err));
    }
  }
}

function show(el: HTMLElement, o: StepOutcome): void {
  el.className = `guide-result ${o.ok ? 'pass' : 'fail'}`;
  el.replaceChildren(h('strong', {}, o.ok ? 'PASS' : 'FAIL'), ...o.failures.map((f) => h('div', {}, f)));
}

function inline(text: string): (string | HTMLElement)[] {
  return text.split(/(`[^`]+`)/).map((part) => (part.startsWith('`') && part.endsWith('`') && part.length > 1 ? h('code', {}, part.slice(1, -1)) : part.replace(/\*\*/g, '')));
}
