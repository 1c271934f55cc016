// `kubewire status [--json]`: nodes, pods, links and processes of the running lab.
import { labStatus, formatStatus } from '../../runtime/lab/lab-status.js';
import { loadState } from '../../runtime/lab/lab-state.js';
import { allPodRecords } from '../../runtime/lab/pod-records.js';
import { makeRuntime, parseLabOptions, resolveLabName } from './lab-context.js';

export async function status(args: string[]): Promise<number> {
  const o = parseLabOptions(args);
  const lab = resolveLabName(o);
  const { driver, paths } = makeRuntime(o, lab);
  const state = await loadState(paths.state);
  if (!state) {
    if (o.json) console.log(JSON.stringify({ lab, phase: 'absent' }));
    else console.log(`lab ${lab}: not built (no ${paths.state}); run \`kubewire up\``);
    return 1;
  }
  const s = await labStatus(driver, state, allPodRecords(paths, state));
  console.log(o.json ? JSON.stringify(s) : formatStatus(s));
  return 0;
}
