// Runs a lab's check and solve scripts, and replays a lab on a fresh topology. The same runner
// serves `kubewire lab run` (headless) and the UI's lab guide.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { KubewireError } from '../../common/errors.js';
import { expandVars, type Lab, type LabStep } from './lab-file.js';
import type { PhaseEvent } from '../concurrency.js';

/** What the runner needs from the lab's world: the topology coming up and going away. */
export interface LabEnvironment {
  readonly prefix: string;
  /** Path of the `kubewire` command, for scripts that call it. */
  readonly kubewireBin: string;
  /**
   * native-scripts/lab-exec.sh: scripts run inside the lab's cgroup, so what a solve leaves
   * running (a detached `unshare --net sleep infinity`) carries the lab's mark and the lab's reset
   * ends it, whoever crashed meanwhile.
   */
  readonly labExec?: string;
  /** The state folder of the lab the topology builds (reset deletes it). */
  stateDir(topologyFile: string): string;
  /** `onPhase` hears `up`'s phases live (namespaces, underlay, …, cluster). */
  up(topologyFile: string, onPhase?: (e: PhaseEvent) => void): Promise<void>;
  reset(topologyFile: string): Promise<void>;
  /**
   * Resolves once the topology's pods run (sandbox namespaces, containers, declared ports), or
   * throws after a bounded wait: the kubelets start pods after `up` returns.
   */
  waitForPods?(topologyFile: string): Promise<void>;
  /** Marks these names as the lab's, so that the lab's reset sweeps them even if made by hand. */
  claimNamespaces(names: string[]): Promise<void>;
  /** Kills what runs in these namespaces and removes them with their /etc/netns files. */
  removeNamespaces(names: string[]): Promise<void>;
}

export interface ScriptOutcome {
  ok: boolean;
  /** The `FAIL: …` lines, without the prefix: the learner's feedback. */
  failures: string[];
  output: string;
  durationMs: number;
}

export interface StepReport {
  step: number;
  title: string;
  /** Did the check fail before the solve ran, as it should (null: not looked at)? */
  failedBeforeSolve: boolean | null;
  solve: ScriptOutcome | null;
  check: ScriptOutcome | null;
  passed: boolean;
}

export interface RunOptions {
  /** First step to check; earlier ones are only solved. 1-based. */
  from?: number;
  /** Also run each check before its solve and require it to fail (proves the check checks). */
  strict?: boolean;
  onStep?: (report: StepReport) => void;
  /** Hears the fresh start's phases (reset, then up's). */
  onPhase?: (e: PhaseEvent) => void;
}

const SCRIPT_TIMEOUT_MS = 60_000;
// A fixed program: the paths arrive as positional arguments, never inside the string.
const PRELUDE = 'source "$1"; if [ -n "$2" ]; then source "$2"; fi; source "$3"';

export class LabRunner {
  constructor(
    private readonly env: LabEnvironment,
    private readonly libFile: string,
  ) {}

  /** Folder where a lab's scripts keep what they must remember (pids of processes they start). */
  labState(lab: Lab): string {
    return join(this.env.stateDir(lab.topologyFile), 'guided', lab.id);
  }

  /** Environment variables a lab's scripts and terminals see. */
  variables(lab: Lab): Record<string, string> {
    const vars: Record<string, string> = {};
    for (const [k, v] of Object.entries(lab.vars)) vars[k] = expandVars(v, this.env.prefix);
    return {
      ...vars,
      KW_PREFIX: this.env.prefix,
      KW_STATE_DIR: this.env.stateDir(lab.topologyFile),
      KW_LAB_DIR: lab.dir,
      KW_LAB_STATE: this.labState(lab),
      KW_LAB_LIB: this.libFile,
      KUBEWIRE: this.env.kubewireBin,
    };
  }

  async runScript(lab: Lab, script: string): Promise<ScriptOutcome> {
    mkdirSync(this.labState(lab), { recursive: true });
    const t0 = performance.now();
    const bash = ['bash', '-c', PRELUDE, 'kubewire-lab', this.libFile, lab.libFile ?? '', script];
    const argv = this.env.labExec ? [this.env.labExec, this.env.prefix, 'guide', '--', ...bash] : bash;
    const r = await execa(argv[0]!, argv.slice(1), {
      cwd: lab.dir,
      env: this.variables(lab),
      extendEnv: true,
      reject: false,
      all: true,
      stdin: 'ignore',
      timeout: SCRIPT_TIMEOUT_MS,
    });
    const output = r.all ?? '';
    const failures = output
      .split('\n')
      .filter((l) => l.startsWith('FAIL: '))
      .map((l) => l.slice('FAIL: '.length));
    if (r.timedOut) failures.push(`${script} did not finish within ${SCRIPT_TIMEOUT_MS / 1000} s`);
    const ok = r.exitCode === 0 && !r.timedOut;
    if (!ok && failures.length === 0)
      failures.push(`${script} exited with ${r.exitCode ?? r.signal}: ${lastLine(output)}`);
    return { ok, failures: ok ? [] : failures, output, durationMs: performance.now() - t0 };
  }

  check(lab: Lab, step: LabStep): Promise<ScriptOutcome> {
    return this.runScript(lab, step.checkScript);
  }

  solve(lab: Lab, step: LabStep): Promise<ScriptOutcome> {
    return this.runScript(lab, step.solveScript);
  }

  /** Stops what the lab's scripts started outside lab namespaces, then resets the topology. */
  async reset(lab: Lab): Promise<void> {
    stopTrackedProcesses(join(this.labState(lab), 'pids'));
    if (lab.namespaces.length) await this.env.removeNamespaces(this.namespaces(lab));
    rmSync(this.labState(lab), { recursive: true, force: true });
    await this.env.reset(lab.topologyFile);
  }

  /** The lab from its beginning: fresh topology, hand-made namespaces claimed for the sweep. */
  async start(lab: Lab, onPhase?: (e: PhaseEvent) => void): Promise<void> {
    const phase = async (name: string, fn: () => Promise<void>): Promise<void> => {
      const t0 = performance.now();
      onPhase?.({ name, event: 'start', ms: 0 });
      await fn();
      onPhase?.({ name, event: 'done', ms: performance.now() - t0 });
    };
    await phase('reset', () => this.reset(lab));
    await this.env.up(lab.topologyFile, onPhase);
    // A learner expects the lab's pods there when step 1 begins, not a race with the kubelets.
    const waitForPods = this.env.waitForPods?.bind(this.env);
    if (waitForPods) await phase('pods-running', () => waitForPods(lab.topologyFile));
    if (lab.namespaces.length) await phase('claim', () => this.env.claimNamespaces(this.namespaces(lab)));
  }

  namespaces(lab: Lab): string[] {
    return lab.namespaces.map((n) => expandVars(n, this.env.prefix));
  }

  /** Fresh topology, then every step: solve (and, from `from` on, check). */
  async run(lab: Lab, opts: RunOptions = {}): Promise<StepReport[]> {
    const from = opts.from ?? 1;
    if (!Number.isInteger(from) || from < 1 || from > lab.steps.length) {
      throw new KubewireError(`lab ${lab.id}: --from must be a step number from 1 to ${lab.steps.length}, got ${from}`);
    }
    await this.start(lab, opts.onPhase);
    const reports: StepReport[] = [];
    for (const step of lab.steps) {
      const checking = step.number >= from;
      let failedBeforeSolve: boolean | null = null;
      if (checking && opts.strict && step.checkFailsBeforeSolve) {
        failedBeforeSolve = !(await this.check(lab, step)).ok;
      }
      const solve = await this.solve(lab, step);
      const check = checking && solve.ok ? await this.check(lab, step) : null;
      const passed = solve.ok && (!checking || (check?.ok ?? false)) && failedBeforeSolve !== false;
      const report: StepReport = { step: step.number, title: step.title, failedBeforeSolve, solve, check, passed };
      reports.push(report);
      opts.onStep?.(report);
      if (!passed) break;
    }
    return reports;
  }
}

function lastLine(s: string): string {
  const lines = s.trim().split('\n');
  return lines[lines.length - 1] ?? '';
}

/** Kills each recorded process that is still the same one (same start time). */
export function stopTrackedProcesses(pidsFile: string): number {
  let text: string;
  try {
    text = readFileSync(pidsFile, 'utf8');
  } catch {
    return 0;
  }
  let stopped = 0;
  for (const line of text.split('\n')) {
    const [pidText, start] = line.trim().split(/\s+/);
    const pid = Number(pidText);
    if (!Number.isInteger(pid) || pid <= 1 || !start) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // Field 22 (start time) comes after the parenthesised command name, which may hold spaces.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[19] !== start) continue;
      process.kill(pid, 'SIGKILL');
      stopped++;
    } catch {
      // Gone already: nothing to stop.
    }
  }
  writeFileSync(pidsFile, '');
  return stopped;
}
