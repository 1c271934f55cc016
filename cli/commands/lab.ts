// `kubewire lab list | show ID | run ID [--from STEP] [--json] [--strict]`: guided labs, headless.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { KubewireError } from '../../common/errors.js';
import { cliLabEnvironment } from '../../runtime/guide/cli-lab-environment.js';
import { labsDir } from '../../runtime/project-root.js';
import { findLabDirs, loadLab, type Lab } from '../../runtime/guide/lab-file.js';
import { LabRunner, type StepReport } from '../../runtime/guide/lab-runner.js';

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

export async function labCommand(args: string[]): Promise<number> {
  const [sub, id, ...rest] = args;
  const json = rest.includes('--json') || args.includes('--json');
  if (sub === 'list') {
    const labs = findLabDirs(labsRoot, (d) => readdirSync(d)).map((d) => loadLab(d, labsRoot));
    if (json) console.log(JSON.stringify(labs.map((l) => ({ id: l.id, title: l.title, steps: l.steps.length }))));
    else for (const l of labs) console.log(`${l.id.padEnd(24)} ${l.title} (${l.steps.length} steps)`);
    return 0;
  }
  if ((sub === 'show' || sub === 'run') && id && !id.startsWith('--')) {
    const lab = findLab(id);
    if (sub === 'show') {
      if (json) console.log(JSON.stringify(lab));
      else {
        console.log(`${lab.title}\n\n${lab.summary}\n`);
        for (const s of lab.steps) console.log(`  ${s.number}. ${s.title}`);
      }
      return 0;
    }
    const fromIdx = rest.indexOf('--from');
    const from = fromIdx >= 0 ? Number(rest[fromIdx + 1]) : 1;
    const runner = new LabRunner(
      cliLabEnvironment(process.env.KUBEWIRE_PREFIX ?? 'kw-'),
      join(labsRoot, 'lib', 'lab.sh'),
    );
    const reports = await runner.run(lab, {
      from,
      strict: rest.includes('--strict'),
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
  console.error('usage: kubewire lab list | show ID | run ID [--from STEP] [--json] [--strict]');
  return 2;
}
