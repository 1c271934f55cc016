// `kubewire lab list | show ID | run ID [--from STEP] [--json] [--strict]`: guided labs, headless.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { KubewireError } from '../../common/errors.js';
import { isDnsLabel, isLabPrefix } from '../../common/names.js';
import { cliLabEnvironment } from '../../runtime/guide/cli-lab-environment.js';
import { labsDir } from '../../runtime/project-root.js';
import { findLabDirs, loadLab, type Lab } from '../../runtime/guide/lab-file.js';
import { LabRunner, type StepReport } from '../../runtime/guide/lab-runner.js';
import {
  badArgument,
  badFlag,
  integerFlag,
  parseCommandLine,
  shown,
  UsageError,
  type CommandSpec,
  type FlagSpecs,
} from '../args.js';

const labsRoot = labsDir();

function findLab(id: string): Lab {
  const dirs = findLabDirs(labsRoot, (d) => readdirSync(d));
  const dir = dirs.find((d) => d.endsWith(`/${id}`));
  if (!dir) throw new KubewireError(`no lab "${id}" (known: ${dirs.map((d) => d.split('/').pop()).join(', ')})`);
  return loadLab(dir, labsRoot);
}

function printReport(r: StepReport): void {
  const mark = r.passed ? 'PASS' : 'FAIL';
  const ms = Math.round((r.solve?.durationMs ?? 0) + (r.check?.durationMs ?? 0));
  console.log(`${mark}  step ${r.step}: ${r.title} (${ms} ms)`);
  if (r.failedBeforeSolve === false)
    console.log('      the check passed before the step was done: it does not check the step');
  for (const f of [...(r.solve?.failures ?? []), ...(r.check?.failures ?? [])]) console.log(`      ${f}`);
}

const LAB = {
  command: 'lab',
  usage: `usage: kubewire lab list | show ID | run ID [--from STEP] [--json] [--strict]
  the guided labs, headless
  --json            machine-readable output
  --from STEP       run: check the steps from STEP on (the earlier ones are only solved)
  --strict          run: also fail a step whose check passes before it is done`,
  flags: { json: { type: 'boolean' }, from: { type: 'string' }, strict: { type: 'boolean' } },
  positionals: { min: 1, max: 2 },
} as const satisfies CommandSpec<FlagSpecs>;

export async function labCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(LAB, args);
  const [sub, id] = positionals as [string, string | undefined];
  const json = values.json ?? false;
  const usage = (problem: string) => new UsageError('lab', problem, LAB.usage);
  if (sub !== 'list' && sub !== 'show' && sub !== 'run') throw usage(`unknown subcommand '${sub}'`);
  if (sub === 'list' ? id !== undefined : id === undefined)
    throw usage(sub === 'list' ? `list takes no ID (got '${id}')` : `${sub} needs a lab ID`);
  if (sub !== 'run' && (values.from !== undefined || values.strict !== undefined))
    throw usage(`${values.from !== undefined ? '--from' : '--strict'} is for lab run only`);
  const from = values.from === undefined ? 1 : integerFlag(LAB, 'from', values.from, 'a step number');
  if (from < 1) throw badFlag(LAB, 'from', 'steps are numbered from 1');
  if (sub === 'list') {
    const labs = findLabDirs(labsRoot, (d) => readdirSync(d)).map((d) => loadLab(d, labsRoot));
    if (json) console.log(JSON.stringify(labs.map((l) => ({ id: l.id, title: l.title, steps: l.steps.length }))));
    else for (const l of labs) console.log(`${l.id.padEnd(24)} ${l.title} (${l.steps.length} steps)`);
    return 0;
  }
  if (!isDnsLabel(id!)) throw usage(`ID: ${shown(id!)} is not a lab ID (lowercase letters, digits, inner '-')`);
  // lab run works in the lab of $KUBEWIRE_PREFIX: refused with the command line, before any step.
  const prefix = process.env.KUBEWIRE_PREFIX || 'kw-';
  if (sub === 'run' && !isLabPrefix(prefix))
    throw badArgument(LAB, '$KUBEWIRE_PREFIX', `${shown(prefix)} is not a lab prefix (kw- or kw-<name>-)`);
  const lab = findLab(id!);
  if (from > lab.steps.length) throw badFlag(LAB, 'from', `lab ${lab.id} has ${lab.steps.length} steps`);
  if (sub === 'show') {
    if (json) console.log(JSON.stringify(lab));
    else {
      console.log(`${lab.title}\n\n${lab.summary}\n`);
      for (const s of lab.steps) console.log(`  ${s.number}. ${s.title}`);
    }
    return 0;
  }
  const runner = new LabRunner(cliLabEnvironment(prefix), join(labsRoot, 'lib', 'lab.sh'));
  const reports = await runner.run(lab, {
    from,
    strict: values.strict ?? false,
    ...(json ? {} : { onStep: printReport }),
  });
  const passed = reports.length === lab.steps.length && reports.every((r) => r.passed);
  if (json) console.log(JSON.stringify({ lab: lab.id, passed, steps: reports }));
  else
    console.log(
      passed
        ? `lab ${lab.id}: all ${lab.steps.length} steps passed`
        : `lab ${lab.id}: stopped at step ${reports.length}`,
    );
  return passed ? 0 : 1;
}
