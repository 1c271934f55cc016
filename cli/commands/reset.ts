// `kubewire reset`: remove every namespace, process and file of the lab, from its state and by
// a sweep of its prefix (so it also cleans up after a kill -9).
import { loadState } from '../../runtime/lab/lab-state.js';
import { stopClusterProcess } from '../../cluster/agents/cluster-process.js';
import { makeRuntime, parseLabOptions, resolveLabName } from './lab-context.js';

export async function reset(args: string[]): Promise<number> {
  const o = parseLabOptions(args);
  const lab = resolveLabName(o);
  const { runtime, paths, driver } = makeRuntime(o, lab);
  const prefix = o.prefix ?? (await loadState(paths.state))?.prefix ?? 'kw-';
  await stopClusterProcess(paths, driver).catch(() => undefined); // the sweep below kills any leftover
  const r = await runtime.reset(prefix);
  console.log(`lab ${lab} reset: ${r.namespaces.length} namespaces removed (prefix ${prefix}), state folder ${paths.dir} deleted`);
  return 0;
}
