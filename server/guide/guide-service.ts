// The lab guide on the server: reads labs with runtime/guide/lab-file.ts and runs their checks and
// solves with runtime/guide/lab-runner.ts (the same runner as `kubewire lab run`).
import { readdirSync } from 'node:fs';
import { GuideUnavailable, LabNotFound } from './guide-service-errors.js';
import { GuideActivity } from './guide-activity.js';
import type { LabActivity } from '../../common/learner-contract.js';
import type { LabGuide, LabSummary, RecordingState, StepOutcome } from '../../common/guide-contract.js';
import type { CommandRecorder } from '../terminals/command-recorder.js';
import { writeRecordedLab } from './recorded-lab-writer.js';
import { expandVars, findLabDirs, loadLab, type Lab } from '../../runtime/guide/lab-file.js';
import type { LabRunner, ScriptOutcome } from '../../runtime/guide/lab-runner.js';

export { LabNotFound, GuideUnavailable } from './guide-service-errors.js';

export class GuideService {
  private recordingLab: string | null = null;
  private readonly activity = new GuideActivity(() => performance.now());

  constructor(
    private readonly d: {
      labsRoot: string;
      runner: LabRunner;
      prefix: string;
      namespaceExists: (name: string) => boolean;
      recorder?: CommandRecorder;
    },
  ) {}

  recordStart(id: string): RecordingState {
    this.lab(id);
    this.recorder().start();
    this.recordingLab = id;
    return this.recordState();
  }

  recordStop(): RecordingState {
    this.recorder().stop();
    return this.recordState();
  }

  /** Saves the recording as labs/recorded-<id>/ on the recorded lab's topology. */
  recordSave(id: string, title: string): { id: string } {
    const commands = this.recorder().recorded();
    if (!this.recordingLab) throw new GuideUnavailable('nothing was recorded: start a recording in a lab first');
    const from = this.lab(this.recordingLab);
    const lab = writeRecordedLab({
      labsRoot: this.d.labsRoot,
      id,
      title,
      topologyFile: from.topologyFile,
      vars: from.vars,
      namespaces: from.namespaces,
      commands,
    });
    loadLab(lab.dir, this.d.labsRoot);
    return { id: lab.id };
  }

  recordState(): RecordingState {
    const r = this.d.recorder;
    return { recording: r?.active ?? false, lab: this.recordingLab, commands: r?.recorded() ?? [] };
  }

  private recorder(): CommandRecorder {
    if (!this.d.recorder) throw new GuideUnavailable('recording is not available in this setup');
    return this.d.recorder;
  }

  list(): LabSummary[] {
    return this.labs().map((l) => ({ id: l.id, title: l.title, summary: l.summary, steps: l.steps.length }));
  }

  show(id: string): LabGuide {
    const lab = this.lab(id);
    return {
      id: lab.id,
      title: lab.title,
      summary: lab.summary,
      steps: lab.steps.length,
      terminals: lab.terminals.map((t) => ({
        name: t.name,
        namespace: this.namespaceOf(t.target),
        ...(t.opensAfterStep ? { opensAfterStep: t.opensAfterStep } : {}),
      })),
      stepList: lab.steps.map((s) => ({
        number: s.number,
        title: s.title,
        text: s.text,
        ...(s.hint ? { hint: s.hint } : {}),
        commands: s.commands.map((c) => ({ terminal: c.terminal, lines: c.lines })),
      })),
    };
  }

  async start(id: string): Promise<number> {
    const lab = this.lab(id);
    const t0 = performance.now();
    await this.activity.run('start', id, 0, (onPhase) => this.d.runner.start(lab, onPhase));
    return performance.now() - t0;
  }

  /** A check or solve would run against a lab being torn down and rebuilt. */
  private idle(): void {
    const a = this.activity.get();
    if (a)
      throw new GuideUnavailable(
        `lab ${a.lab} is ${a.action === 'start' ? 'starting' : 'replaying'}; try again when it is ready`,
      );
  }

  /** The start or replay running now, phase by phase (null: none). */
  current(): LabActivity | null {
    return this.activity.get();
  }

  async check(id: string, step: number): Promise<StepOutcome> {
    this.idle();
    const lab = this.lab(id);
    return outcome(await this.d.runner.check(lab, this.step(lab, step)));
  }

  async solve(id: string, step: number): Promise<{ solve: StepOutcome; check: StepOutcome | null }> {
    this.idle();
    const lab = this.lab(id);
    const s = this.step(lab, step);
    const solve = outcome(await this.d.runner.solve(lab, s));
    return { solve, check: solve.ok ? outcome(await this.d.runner.check(lab, s)) : null };
  }

  async replay(id: string): Promise<{ step: number; title: string; passed: boolean; failures: string[] }[]> {
    const lab = this.lab(id);
    const reports = await this.activity.run('replay', id, lab.steps.length, (onPhase, onStep) =>
      this.d.runner.run(lab, { onPhase, onStep }),
    );
    return reports.map((r) => ({
      step: r.step,
      title: r.title,
      passed: r.passed,
      failures: [...(r.solve?.failures ?? []), ...(r.check?.failures ?? [])],
    }));
  }

  /** Variables a lab's terminals get (its `vars:` and KW_*), so typed commands see `$CONTAINER`. */
  variables(id: string): Record<string, string> {
    return this.d.runner.variables(this.lab(id));
  }

  /** A terminal target (node, [ns/]pod, gateway, internet, {prefix}…) as a namespace name. */
  namespaceOf(target: string): string {
    const p = this.d.prefix;
    if (target.includes('{prefix}')) return expandVars(target, p);
    if (target.includes('/')) {
      const [ns, pod] = target.split('/', 2);
      return `${p}${ns}_${pod}`;
    }
    // A bare name is a node (also before the lab is up), unless a pod of that name exists in "default".
    return this.d.namespaceExists(`${p}default_${target}`) && !this.d.namespaceExists(`${p}${target}`)
      ? `${p}default_${target}`
      : `${p}${target}`;
  }

  private labs(): Lab[] {
    return findLabDirs(this.d.labsRoot, (dir) => readdirSync(dir)).map((dir) => loadLab(dir, this.d.labsRoot));
  }

  private lab(id: string): Lab {
    const lab = this.labs().find((l) => l.id === id);
    if (!lab) throw new LabNotFound(`no lab "${id}"`);
    return lab;
  }

  private step(lab: Lab, n: number): Lab['steps'][number] {
    const s = lab.steps.find((x) => x.number === n);
    if (!s) throw new LabNotFound(`lab ${lab.id} has no step ${n} (1…${lab.steps.length})`);
    return s;
  }
}

function outcome(o: ScriptOutcome): StepOutcome {
  return { ok: o.ok, failures: o.failures, output: o.output.slice(-4000), durationMs: o.durationMs };
}
