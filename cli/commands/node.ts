// `kubewire node stop|start NODE`: stops or starts a node's kubelet (and the node's other agents)
// in the running lab, the way `systemctl stop kubelet` would on a real node; its pods keep
// running. The node turns NotReady once its lease is 40 s old, gets the unreachable taint, and
// its pods are evicted after their tolerationSeconds; `start` makes it Ready again.
import { KubewireError, ValidationError } from '../../common/errors.js';
import { setKubeletStopped } from '../../runtime/lab/kubelet-switch.js';
import { loadState } from '../../runtime/lab/lab-state.js';
import { badArgument, shown, UsageError } from '../args.js';
import { isDnsLabel } from '../../common/names.js';
import { labCommandSpec, makeRuntime, parseLabOptions, resolveLabName } from './lab-context.js';

const NODE = labCommandSpec({
  command: 'node',
  usage: `usage: kubewire node stop|start NODE
  stop or start a node's kubelet (NotReady, unreachable taint, evictions)`,
  positionals: { min: 2, max: 2 },
});

export async function node(args: string[]): Promise<number> {
  const o = parseLabOptions(NODE, args);
  const [action, name] = o.rest as [string, string];
  if (action !== 'stop' && action !== 'start')
    throw new UsageError('node', `'${action}' is not stop or start`, NODE.usage);
  if (!isDnsLabel(name)) throw badArgument(NODE, 'NODE', `${shown(name)} is not a node name (a-z, 0-9, inner '-')`);
  const lab = resolveLabName(o);
  const { paths } = makeRuntime(o, lab);
  const state = await loadState(paths.state);
  if (!state) throw new KubewireError(`lab ${lab} is not built (no ${paths.state}; kubewire up builds it)`);
  if (!state.topology.nodes.some((n) => n.name === name)) {
    throw new ValidationError(
      `node ${action} ${name}`,
      `no node of that name in lab ${lab} (known: ${state.topology.nodes.map((n) => n.name).join(', ')})`,
    );
  }
  setKubeletStopped(paths.node(name), action === 'stop');
  console.log(
    action === 'stop'
      ? `kubelet of ${name} stopping: its pods keep running; the node turns NotReady after the 40 s grace period`
      : `kubelet of ${name} starting: the node turns Ready at its first status report`,
  );
  return 0;
}
