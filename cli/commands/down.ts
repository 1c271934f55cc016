// `kubewire down`: stop the lab's processes and remove its kernel objects, keep its state.
import { downKubeletPods, stopClusterProcess } from '../../cluster/agents/cluster-process.js';
import { labCommandSpec, makeRuntime, parseLabOptions, resolveLabName } from './lab-context.js';

const DOWN = labCommandSpec({
  command: 'down',
  usage: `usage: kubewire down
  stop the lab's processes and remove its kernel objects, keep its state`,
});

export async function down(args: string[]): Promise<number> {
  const o = parseLabOptions(DOWN, args);
  const lab = resolveLabName(o);
  const { runtime, driver, paths } = makeRuntime(o, lab);
  // The cluster first, so no kubelet restarts what is being stopped.
  await stopClusterProcess(paths, driver);
  await downKubeletPods(paths, driver);
  const state = await runtime.down();
  console.log(
    state
      ? `lab ${lab} is down (${state.namespaces.length} namespaces removed; state kept in ${o.stateBase}/${lab})`
      : `lab ${lab} has no state: nothing to stop`,
  );
  return 0;
}
