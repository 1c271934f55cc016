// `kubewire down`: stop the lab's processes and remove its kernel objects, keep its state.
import { makeRuntime, parseLabOptions, resolveLabName } from './lab-context.js';

export async function down(args: string[]): Promise<number> {
  const o = parseLabOptions(args);
  const lab = resolveLabName(o);
  const state = await makeRuntime(o, lab).runtime.down();
  console.log(state ? `lab ${lab} is down (${state.namespaces.length} namespaces removed; state kept in ${o.stateBase}/${lab})` : `lab ${lab} has no state: nothing to stop`);
  return 0;
}
