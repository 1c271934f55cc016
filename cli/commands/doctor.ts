// `kubewire doctor`: prerequisites present? host namespace untouched since before the first `up`?
import { runDoctor } from '../../runtime/lab/doctor.js';
import { pauseBinary } from '../../runtime/project-root.js';
import { labCommandSpec, makeRuntime, parseLabOptions, resolveLabName } from './lab-context.js';

const DOCTOR = labCommandSpec({
  command: 'doctor',
  usage: `usage: kubewire doctor [--json]
  prerequisites present? orphaned lab processes? host namespace untouched?`,
});

export async function doctor(args: string[]): Promise<number> {
  const o = parseLabOptions(DOCTOR, args);
  const { driver, paths } = makeRuntime(o, resolveLabName(o));
  const r = await runDoctor(driver, { snapshotPath: paths.hostSnapshot, pauseBinary: pauseBinary() });
  const failed = r.checks.filter((c) => !c.ok);
  const changed = r.hostDiff && r.hostDiff.length > 0;
  if (o.json) {
    console.log(JSON.stringify(r));
  } else {
    for (const c of r.checks) console.log(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name.padEnd(28)} ${c.detail}`);
    for (const p of r.orphans) console.log(`  orphan pid ${p.pid} (lab prefix ${p.prefix}): ${p.args.slice(0, 160)}`);
    if (!r.hostDiff)
      console.log(`host namespace: no snapshot yet (${paths.hostSnapshot} is taken before the first up)`);
    else if (!changed) console.log(`host namespace: unchanged since ${r.snapshotTakenAt}`);
    else {
      console.log(`host namespace: CHANGED since ${r.snapshotTakenAt}:`);
      for (const d of r.hostDiff) console.log(`  ${d}`);
    }
  }
  return failed.length || changed ? 1 : 0;
}
